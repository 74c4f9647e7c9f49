#ifndef COUNTY_SYNC_CZLIB_SHIM_H
#define COUNTY_SYNC_CZLIB_SHIM_H

#include <zlib.h>

// deflateInit and inflateInit are macros, which Swift cannot call: these wrappers are functions.

static inline int czlib_deflate_init(z_stream *stream, int level) {
    return deflateInit(stream, level);
}

static inline int czlib_inflate_init(z_stream *stream) {
    return inflateInit(stream);
}

#endif
