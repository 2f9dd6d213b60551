// Ctrl-C in `weft shell`: a SIGINT handler that only records the signal — a flag, and a
// byte written to a pipe (async-signal-safe; no allocation, no locks). The Session's waits
// poll the flag; the line editor reads its keys through InterruptibleGetc, which also
// watches the pipe, so a Ctrl-C ends the read at once whichever thread took the signal and
// whenever it came (also while the editor was busy between two keys). readline() then
// returns as at the end of the input, or with the half-typed line, and the REPL tells an
// interrupt apart with TakeInterrupt() and drops that line.
//
// Threading: every function may be called from any thread; InterruptibleGetc from the
// REPL's thread only.
#pragma once

#include <cstdio>

namespace weft::cli::shell {

// Replaces SIGINT's default action (ending the process) with the recording handler.
void InstallInterruptHandler();

// Whether a SIGINT arrived since the last TakeInterrupt().
bool InterruptPending();

// InterruptPending(), and forgets the signal.
bool TakeInterrupt();

// readline's rl_getc_function: the next key from stdin (a whole UTF-8 character, as its
// code point), or EOF at the end of the input and as soon as a SIGINT is pending.
int InterruptibleGetc(FILE* stream);

}  // namespace weft::cli::shell
