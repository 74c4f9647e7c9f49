#include <signal.h>
#include <string.h>
#include "CSignals.h"

static volatile sig_atomic_t hangups = 0;

static void on_hangup(int signal) {
    (void)signal;
    hangups = hangups + 1;
}

int county_sync_count_hangups(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_hangup;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return sigaction(SIGHUP, &action, NULL);
}

int county_sync_take_hangups(void) {
    int taken = hangups;
    hangups = 0;
    return taken;
}
