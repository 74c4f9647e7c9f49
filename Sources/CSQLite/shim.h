#ifndef COUNTY_SYNC_CSQLITE_SHIM_H
#define COUNTY_SYNC_CSQLITE_SHIM_H

#include <sqlite3.h>

// sqlite3_config is variadic, which Swift cannot call: these wrappers are functions.

// Turns off SQLite's memory statistics, which take a process-wide mutex on every allocation
// SQLite makes. Must run before SQLite initializes; returns SQLITE_MISUSE after.
static inline int csqlite_memory_statistics_off(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#endif
