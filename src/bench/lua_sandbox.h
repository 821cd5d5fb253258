/* lua_sandbox.h - a Lua state for experiment files, which are data: by default only the base,
 * string, table, math and utf8 libraries and os.time/clock/date; no io, os.execute/remove/exit,
 * package, C modules, binary chunks, coroutines or debug (dofile, loadfile and require read Lua
 * text only, which runs in the same sandbox). Using a removed function is an error naming it at
 * the config's file:line. Lua's memory is bounded, and so is the time its code runs
 * (an instruction-count hook checks the clock; time inside qet.* calls does not count).
 *
 * Typical use (one thread runs the state; another may read lua_sandbox_seconds):
 *     lua_sandbox sb;
 *     lua_sandbox_init(&sb, &limits);
 *     lua_State *L = lua_sandbox_new(&sb);      // NULL: out of memory
 *     ... lua_pcall(...) ...                     // the hook raises once the time is up
 *     lua_close(L);
 *     lua_sandbox_destroy(&sb); */
#ifndef QB_LUA_SANDBOX_H
#define QB_LUA_SANDBOX_H

#include <lua.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

typedef struct {
    int unsafe;         /* the full standard libraries (qetbench run --unsafe-config) */
    double max_seconds; /* of Lua code; 0: LUA_SANDBOX_SECONDS */
    size_t max_memory;  /* bytes of Lua heap; 0: LUA_SANDBOX_MEMORY */
} lua_sandbox_limits;

#define LUA_SANDBOX_SECONDS 10.0
/* Registry field: where require looks for Lua text modules ("DIR/?.lua;..."), set by the caller. */
#define LUA_SANDBOX_PATH "qetbench.require_path"
#define LUA_SANDBOX_MEMORY ((size_t)1 << 30)

typedef struct {
    lua_sandbox_limits limits;
    size_t used;                /* bytes the state holds */
    pthread_mutex_t mu;         /* guards the clock below */
    double start, paused, held; /* when the code started; time in qet.* calls; one in progress */
    atomic_int stop;            /* the time is up: every hook and pcall raises from now on */
    int out_of_memory;          /* an allocation was refused by the bound */
} lua_sandbox;

void lua_sandbox_init(lua_sandbox *sb, const lua_sandbox_limits *limits);
void lua_sandbox_destroy(lua_sandbox *sb);
/* A new state with the libraries, allocator and hook of the sandbox; the clock starts. */
lua_State *lua_sandbox_new(lua_sandbox *sb);
/* The sandbox of a state made by lua_sandbox_new (NULL for others). */
lua_sandbox *lua_sandbox_of(lua_State *L);

/* Seconds of Lua code so far (any thread). */
double lua_sandbox_seconds(lua_sandbox *sb);
/* Around a long C call made for the script (qet.quantize): its time is not the config's. */
void lua_sandbox_pause(lua_sandbox *sb);
void lua_sandbox_resume(lua_sandbox *sb);

/* The error message of a failed pcall (a non-string error object described, never NULL). */
const char *lua_sandbox_message(lua_State *L, int idx);
/* A message handler for lua_pcall: gives a non-string error object a message and a place. */
int lua_sandbox_msgh(lua_State *L);

#endif
