// libedit for the lora REPL. el_set and history are variadic C functions,
// which Swift cannot call; the small inline wrappers below fix their arguments.
#include <stdio.h>
#include <histedit.h>
