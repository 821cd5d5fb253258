/* lua_sandbox.c - the libraries an experiment file gets, the allocator that bounds its memory and
 * the hook that bounds its time. */
#include "lua_sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOOK_EVERY 10000 /* instructions between clock checks: well under 1 ms */

static const char denied_note[] =
    "not available to experiment files, which run sandboxed (no io, os.execute/remove/exit, "
    "package, C modules, binary chunks, coroutines or debug); qetbench run --unsafe-config gives "
    "them the full Lua libraries";

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void lua_sandbox_init(lua_sandbox *sb, const lua_sandbox_limits *limits) {
    memset(sb, 0, sizeof *sb);
    sb->limits = *limits;
    if (!(sb->limits.max_seconds > 0))
        sb->limits.max_seconds = LUA_SANDBOX_SECONDS;
    if (!sb->limits.max_memory)
        sb->limits.max_memory = LUA_SANDBOX_MEMORY;
    pthread_mutex_init(&sb->mu, NULL);
    atomic_init(&sb->stop, 0);
    sb->start = now();
}

void lua_sandbox_destroy(lua_sandbox *sb) {
    pthread_mutex_destroy(&sb->mu);
}

/* ---- the clock ---- */

double lua_sandbox_seconds(lua_sandbox *sb) {
    pthread_mutex_lock(&sb->mu);
    double t = now(), s = t - sb->start - sb->paused - (sb->held > 0 ? t - sb->held : 0);
    pthread_mutex_unlock(&sb->mu);
    return s;
}

void lua_sandbox_pause(lua_sandbox *sb) {
    pthread_mutex_lock(&sb->mu);
    sb->held = now();
    pthread_mutex_unlock(&sb->mu);
}

void lua_sandbox_resume(lua_sandbox *sb) {
    pthread_mutex_lock(&sb->mu);
    sb->paused += now() - sb->held;
    sb->held = 0;
    pthread_mutex_unlock(&sb->mu);
}

/* ---- memory ---- */

static void *bounded_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    lua_sandbox *sb = ud;
    if (!ptr)
        osize = 0; /* then osize encodes the kind of object, not a size */
    if (nsize == 0) {
        free(ptr);
        sb->used -= osize;
        return NULL;
    }
    if (nsize > osize && nsize - osize > sb->limits.max_memory - sb->used) {
        sb->out_of_memory = 1;
        return NULL; /* Lua raises its memory error */
    }
    void *p = realloc(ptr, nsize);
    if (p)
        sb->used = sb->used - osize + nsize;
    return p;
}

lua_sandbox *lua_sandbox_of(lua_State *L) {
    void *ud = NULL;
    return lua_getallocf(L, &ud) == bounded_alloc ? ud : NULL;
}

/* ---- messages ---- */

/* "file:line:" of the innermost Lua function at or above `level` ("" when there is none). */
static void push_where(lua_State *L, int level) {
    lua_Debug ar;
    for (; lua_getstack(L, level, &ar); level++)
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
            return;
        }
    lua_pushliteral(L, "");
}

static int raise_timeout(lua_State *L, int level) {
    lua_sandbox *sb = lua_sandbox_of(L);
    atomic_store(&sb->stop, 1);
    push_where(L, level);
    lua_pushfstring(L,
                    "the config ran longer than %f s of Lua code (qetbench run --config-seconds S "
                    "raises the bound)",
                    sb->limits.max_seconds);
    lua_concat(L, 2);
    return lua_error(L);
}

static void hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    lua_sandbox *sb = lua_sandbox_of(L);
    if (atomic_load(&sb->stop) || lua_sandbox_seconds(sb) > sb->limits.max_seconds)
        raise_timeout(L, 0);
}

const char *lua_sandbox_message(lua_State *L, int idx) {
    const char *m = lua_tostring(L, idx);
    return m ? m : "an error without a message";
}

int lua_sandbox_msgh(lua_State *L) {
    if (lua_type(L, 1) == LUA_TSTRING)
        return 1;
    lua_sandbox *sb = lua_sandbox_of(L);
    if (sb && sb->out_of_memory) {
        lua_pushfstring(L, "the config used more than %d MiB of Lua memory",
                        (int)(sb->limits.max_memory >> 20));
        return 1;
    }
    push_where(L, 1);
    lua_pushfstring(L, "the config raised an error that is not a message (a %s value)",
                    luaL_typename(L, 1));
    lua_concat(L, 2);
    return 1;
}

/* ---- what a sandboxed config may not use ---- */

/* A removed global function: upvalue 1 names it. */
static int denied_call(lua_State *L) {
    return luaL_error(L, "%s: %s", lua_tostring(L, lua_upvalueindex(1)), denied_note);
}

/* A removed library's field, or a removed field of os: upvalue 1 names the library. */
static int denied_field(lua_State *L) {
    const char *key = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
    return luaL_error(L, "%s.%s: %s", lua_tostring(L, lua_upvalueindex(1)), key, denied_note);
}

/* Gives the table at the top a metatable that refuses every field it lacks, naming it. */
static void deny_missing(lua_State *L, const char *lib) {
    lua_createtable(L, 0, 2);
    lua_pushstring(L, lib);
    lua_pushcclosure(L, denied_field, 1);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, lib);
    lua_pushcclosure(L, denied_call, 1);
    lua_setfield(L, -2, "__call");
    lua_setmetatable(L, -2);
}

static void deny_global_library(lua_State *L, const char *name) {
    lua_newtable(L);
    deny_missing(L, name);
    lua_setglobal(L, name);
}

/* load, text chunks only (upvalue 1: the real load). */
static int text_load(lua_State *L) {
    size_t len = 0;
    const char *chunk = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &len) : NULL;
    if (chunk && len > 0 && chunk[0] == LUA_SIGNATURE[0])
        return luaL_error(L, "load of a binary chunk: %s", denied_note);
    int n = lua_gettop(L) < 3 ? 3 : lua_gettop(L);
    lua_settop(L, n);
    lua_pushliteral(L, "t");
    lua_replace(L, 3);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

/* dofile(name): a Lua text file, never a binary chunk or standard input. */
static int text_dofile(lua_State *L) {
    const char *name = luaL_checkstring(L, 1);
    lua_settop(L, 1);
    if (luaL_loadfilex(L, name, "t") != LUA_OK)
        return lua_error(L);
    lua_call(L, 0, LUA_MULTRET);
    return lua_gettop(L) - 1;
}

/* loadfile(name [, mode [, env]]), text only (upvalue 1: the real loadfile). */
static int text_loadfile(lua_State *L) {
    luaL_checkstring(L, 1);
    int n = lua_gettop(L) < 2 ? 2 : lua_gettop(L);
    lua_settop(L, n);
    lua_pushliteral(L, "t");
    lua_replace(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

/* require: the libraries the sandbox has (and qet), then Lua text modules found on
 * LUA_SANDBOX_PATH (the config's folder and the working directory); never a C module. */
static int builtin_require(lua_State *L) {
    const char *name = luaL_checkstring(L, 1);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, name);
    if (!lua_isnil(L, -1))
        return 1;
    lua_pop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_SANDBOX_PATH);
    const char *path = lua_tostring(L, -1);
    const char *file = luaL_gsub(L, name, ".", "/");
    for (const char *p = path; p && *p;) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        lua_pushlstring(L, p, len);
        const char *cand = luaL_gsub(L, lua_tostring(L, -1), "?", file);
        FILE *f = fopen(cand, "r");
        if (f) {
            fclose(f);
            if (luaL_loadfilex(L, cand, "t") != LUA_OK)
                return lua_error(L);
            lua_pushstring(L, name);
            lua_pushstring(L, cand);
            lua_call(L, 2, 1);
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                lua_pushboolean(L, 1);
            }
            lua_pushvalue(L, -1);
            lua_setfield(L, 2, name); /* into _LOADED, for the next require */
            return 1;
        }
        lua_pop(L, 2);
        p += len + (semi != NULL);
    }
    return luaL_error(L, "require('%s'): no Lua file for it on '%s'; C modules: %s", name,
                      path ? path : "", denied_note);
}

/* pcall and xpcall (upvalue 1: the real one) pass a timeout on: a config cannot catch it. */
static int after_pcall(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    (void)ctx;
    lua_sandbox *sb = lua_sandbox_of(L);
    if (sb && atomic_load(&sb->stop))
        return raise_timeout(L, 1);
    return lua_gettop(L);
}

static int guarded_pcall(lua_State *L) {
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_callk(L, n, LUA_MULTRET, 0, after_pcall);
    return after_pcall(L, LUA_OK, 0);
}

static void guard_pcall(lua_State *L, const char *name) {
    lua_getglobal(L, name);
    lua_pushcclosure(L, guarded_pcall, 1);
    lua_setglobal(L, name);
}

static void open_restricted(lua_State *L) {
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},       {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL}};
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    /* os: the clock and the date only (the real table is never registered) */
    lua_pushcfunction(L, luaopen_os);
    lua_call(L, 0, 1);
    lua_createtable(L, 0, 3);
    static const char *const keep[] = {"time", "clock", "date"};
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
        lua_getfield(L, -2, keep[i]);
        lua_setfield(L, -2, keep[i]);
    }
    deny_missing(L, "os");
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "os");
    lua_pop(L, 1);
    lua_setglobal(L, "os");
    lua_pop(L, 1);
    static const char *const libs_denied[] = {"io", "package", "debug", "coroutine"};
    for (size_t i = 0; i < sizeof libs_denied / sizeof *libs_denied; i++)
        deny_global_library(L, libs_denied[i]);
    lua_pushcfunction(L, text_dofile);
    lua_setglobal(L, "dofile");
    lua_getglobal(L, "loadfile");
    lua_pushcclosure(L, text_loadfile, 1);
    lua_setglobal(L, "loadfile");
    lua_getglobal(L, "load");
    lua_pushcclosure(L, text_load, 1);
    lua_setglobal(L, "load");
    lua_pushcfunction(L, builtin_require);
    lua_setglobal(L, "require");
}

/* Runs in protected mode: opening the libraries allocates, and may fail. */
static int open_libraries(lua_State *L) {
    lua_sandbox *sb = lua_touserdata(L, 1);
    if (sb->limits.unsafe)
        luaL_openlibs(L);
    else
        open_restricted(L);
    guard_pcall(L, "pcall");
    guard_pcall(L, "xpcall");
    return 0;
}

lua_State *lua_sandbox_new(lua_sandbox *sb) {
    lua_State *L = lua_newstate(bounded_alloc, sb);
    if (!L)
        return NULL;
    lua_pushcfunction(L, open_libraries);
    lua_pushlightuserdata(L, sb);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        lua_close(L);
        return NULL;
    }
    lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY);
    pthread_mutex_lock(&sb->mu);
    sb->start = now();
    pthread_mutex_unlock(&sb->mu);
    return L;
}
