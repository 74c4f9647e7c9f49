// The entry point of the scanner's fuzz target under libFuzzer (Deploy/fuzz.sh builds it with
// -DFUZZING). SwiftPM names an executable's entry point MODULE_main; with -DFUZZING this C file
// provides it and hands control to libFuzzer's driver, which calls LLVMFuzzerTestOneInput (Swift).
#ifndef CFUZZDRIVER_H
#define CFUZZDRIVER_H
int cfuzzdriver_linked(void);
#endif
