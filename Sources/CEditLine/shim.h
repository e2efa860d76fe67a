// libedit for the lora REPL. el_set and history are variadic C functions,
// which Swift cannot call; the small inline wrappers below fix their arguments.
#include <stdio.h>
#include <histedit.h>

typedef char *(*lora_prompt_fn)(EditLine *);
typedef unsigned char (*lora_command_fn)(EditLine *, int);

static inline int lora_el_set_prompt(EditLine *e, lora_prompt_fn f) { return el_set(e, EL_PROMPT, f); }
static inline int lora_el_set_editor(EditLine *e, const char *mode) { return el_set(e, EL_EDITOR, mode); }
static inline int lora_el_set_history(EditLine *e, History *h) { return el_set(e, EL_HIST, history, h); }
static inline int lora_el_set_signal(EditLine *e, int on) { return el_set(e, EL_SIGNAL, on); }
static inline int lora_el_addfn(EditLine *e, const char *name, const char *help, lora_command_fn f) {
    return el_set(e, EL_ADDFN, name, help, f);
}
static inline int lora_el_bind(EditLine *e, const char *key, const char *command) {
    return el_set(e, EL_BIND, key, command, (const char *)NULL);
}
/// Turns a tty flag on or off in edit mode, e.g. ("-isig") so Ctrl-C reaches the editor as a key.
static inline int lora_el_setty_edit(EditLine *e, const char *flag) {
    return el_set(e, EL_SETTY, "-d", flag, (const char *)NULL);
}
static inline int lora_history_setsize(History *h, HistEvent *ev, int n) { return history(h, ev, H_SETSIZE, n); }
static inline int lora_history_setunique(History *h, HistEvent *ev, int on) { return history(h, ev, H_SETUNIQUE, on); }
static inline int lora_history_enter(History *h, HistEvent *ev, const char *line) { return history(h, ev, H_ENTER, line); }
static inline int lora_history_load(History *h, HistEvent *ev, const char *path) { return history(h, ev, H_LOAD, path); }
static inline int lora_history_save(History *h, HistEvent *ev, const char *path) { return history(h, ev, H_SAVE, path); }
