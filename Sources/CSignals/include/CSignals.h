#ifndef COUNTY_SYNC_CSIGNALS_H
#define COUNTY_SYNC_CSIGNALS_H

/// Counts SIGHUP from now on in a plain signal handler (no dispatch source, no thread): a
/// process then never stops on it. Returns 0, or -1 with errno set.
int county_sync_count_hangups(void);

/// The SIGHUPs counted since the last call.
int county_sync_take_hangups(void);

#endif
