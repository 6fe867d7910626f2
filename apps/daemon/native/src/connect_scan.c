/*
 * Scanopy's native TCP connect prober (issue 12, "every core"): the daemon's connect scan without a Node socket
 * object per probe. A connect scan needs no privilege: each probe is a non-blocking socket(), connect() and, once
 * the kernel knows the answer, getsockopt(SO_ERROR) and close() (with SO_LINGER 0 after a completed handshake, so the
 * target gets a RST and no FIN/TIME_WAIT). Pending probes sit in one epoll set that libuv watches (one uv_poll on
 * the epoll descriptor), their deadlines in a min-heap under one uv_timer. Answers and timeouts reach JavaScript in
 * batches: pairs (probe id, outcome) in an Int32Array shared with JS, then one call of the JS callback with the
 * number of pairs. Everything runs on the thread of the Node environment that created the prober (the daemon's main
 * thread or a scan worker), so no locking.
 *
 * JS API (see apps/daemon/src/scanner/native-connect.ts):
 *   new Prober(onResults: (pairs: number) => void)  .results: Int32Array
 *   .connect(ipv4: uint32, port, timeoutMs, localIpv4: uint32 | 0) -> id >= 0 (pending) or -(outcome + 1) (known now)
 *   .cancel(id)   closes a pending probe without reporting it
 *   .close()      closes every pending probe and the prober's handles
 * Outcomes: 0 open, 1 closed (RST), 2 timeout, 1000 + errno unreachable, 2000 + errno local error.
 */
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define OUT_OPEN 0
#define OUT_CLOSED 1
#define OUT_TIMEOUT 2
#define OUT_UNREACHABLE 1000
#define OUT_ERROR 2000

/* Pairs the shared result buffer holds; a bigger batch is delivered in several calls. */
#define OUT_PAIRS 4096
#define EPOLL_BATCH 1024

typedef struct {
  double deadline;
  uint32_t id;
  uint32_t gen;
} HeapItem;

typedef struct {
  int fd; /* -1 when free */
  uint32_t gen;
} Slot;

typedef struct {
  napi_env env;
  napi_ref callback;
  napi_ref results_ref;
  napi_async_context async_context;
  uv_loop_t *loop;
  int epfd;
  uv_poll_t poll;
  uv_timer_t timer;
  int handles; /* libuv handles not yet closed */
  int closed;
  int finalized; /* the JS object is gone: nothing refers to this struct but the libuv handles */
  napi_async_cleanup_hook_handle hook; /* holds the environment's teardown until the handles are closed */
  int refed;
  Slot *slots;
  uint32_t nslots, slots_cap;
  uint32_t *free_ids;
  uint32_t nfree;
  uint32_t active;
  HeapItem *heap;
  uint32_t nheap, heap_cap;
  double armed; /* deadline the timer is set for; INFINITY when idle */
  int32_t *out;
  uint32_t nout; /* pairs */
} Prober;

static double now_ms(void) { return (double)uv_hrtime() / 1e6; }

static int classify(int err) {
  if (err == 0) return OUT_OPEN;
  if (err == ECONNREFUSED) return OUT_CLOSED;
  if (err == ETIMEDOUT) return OUT_TIMEOUT;
  if (err == EHOSTUNREACH || err == ENETUNREACH || err == EHOSTDOWN || err == ENETDOWN) return OUT_UNREACHABLE + err;
  return OUT_ERROR + err;
}

/* Closes a descriptor; after a completed handshake with an immediate RST instead of a FIN. */
static void close_fd(int fd, int reset) {
  if (reset) {
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  close(fd);
}

static void heap_push(Prober *p, HeapItem item) {
  if (p->nheap == p->heap_cap) {
    uint32_t cap = p->heap_cap ? p->heap_cap * 2 : 1024;
    HeapItem *h = realloc(p->heap, cap * sizeof *h);
    if (!h) abort();
    p->heap = h;
    p->heap_cap = cap;
  }
  uint32_t i = p->nheap++;
  while (i > 0) {
    uint32_t parent = (i - 1) / 2;
    if (p->heap[parent].deadline <= item.deadline) break;
    p->heap[i] = p->heap[parent];
    i = parent;
  }
  p->heap[i] = item;
}

static HeapItem heap_pop(Prober *p) {
  HeapItem top = p->heap[0];
  HeapItem last = p->heap[--p->nheap];
  uint32_t i = 0, n = p->nheap;
  for (;;) {
    uint32_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && p->heap[c + 1].deadline < p->heap[c].deadline) c++;
    if (last.deadline <= p->heap[c].deadline) break;
    p->heap[i] = p->heap[c];
    i = c;
  }
  if (n > 0) p->heap[i] = last;
  return top;
}

static uint32_t slot_take(Prober *p) {
  if (p->nfree > 0) return p->free_ids[--p->nfree];
  if (p->nslots == p->slots_cap) {
    uint32_t cap = p->slots_cap ? p->slots_cap * 2 : 1024;
    Slot *s = realloc(p->slots, cap * sizeof *s);
    uint32_t *f = realloc(p->free_ids, cap * sizeof *f);
    if (!s || !f) abort();
    p->slots = s;
    p->free_ids = f;
    p->slots_cap = cap;
  }
  p->slots[p->nslots].fd = -1;
  p->slots[p->nslots].gen = 0;
  return p->nslots++;
}

static void slot_release(Prober *p, uint32_t id) {
  p->slots[id].fd = -1;
  p->slots[id].gen++;
  p->free_ids[p->nfree++] = id;
  p->active--;
}

/* The poll handle keeps the event loop alive only while probes are pending, like the sockets it replaces. */
static void update_ref(Prober *p) {
  if (p->closed) return;
  if (p->active > 0 && !p->refed) {
    uv_ref((uv_handle_t *)&p->poll);
    p->refed = 1;
  } else if (p->active == 0 && p->refed) {
    uv_unref((uv_handle_t *)&p->poll);
    p->refed = 0;
  }
}

static void deliver(Prober *p) {
  if (p->nout == 0) return;
  uint32_t n = p->nout;
  p->nout = 0;
  napi_env env = p->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[1], result;
  napi_get_reference_value(env, p->callback, &cb);
  napi_get_global(env, &recv);
  napi_create_uint32(env, n, &argv[0]);
  /* make_callback runs the microtasks (promise reactions) after the callback, as for any I/O callback. */
  if (napi_make_callback(env, p->async_context, recv, cb, 1, argv, &result) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void push_result(Prober *p, uint32_t id, int outcome) {
  p->out[2 * p->nout] = (int32_t)id;
  p->out[2 * p->nout + 1] = outcome;
  if (++p->nout == OUT_PAIRS) deliver(p);
}

static void arm(Prober *p);

/* Every answer the kernel has: ready descriptors become results. */
static void drain(Prober *p) {
  struct epoll_event evs[EPOLL_BATCH];
  for (;;) {
    if (p->closed) return;
    int n = epoll_wait(p->epfd, evs, EPOLL_BATCH, 0);
    if (n <= 0) break;
    for (int i = 0; i < n; i++) {
      uint32_t id = (uint32_t)(evs[i].data.u64 & 0xffffffffu);
      uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
      if (id >= p->nslots || p->slots[id].fd < 0 || p->slots[id].gen != gen) continue;
      int fd = p->slots[id].fd;
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      close_fd(fd, err == 0); /* closing removes it from the epoll set */
      slot_release(p, id);
      push_result(p, id, classify(err));
    }
    if (n < EPOLL_BATCH) break;
  }
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  Prober *p = handle->data;
  drain(p);
  deliver(p);
  update_ref(p);
}

static void on_timer(uv_timer_t *handle) {
  Prober *p = handle->data;
  p->armed = INFINITY;
  /* Answers already waiting in the kernel win over a deadline that passed while the loop was busy. */
  drain(p);
  double now = now_ms();
  while (!p->closed && p->nheap > 0 && p->heap[0].deadline <= now) {
    HeapItem item = heap_pop(p);
    Slot *s = &p->slots[item.id];
    if (s->fd < 0 || s->gen != item.gen) continue; /* answered or cancelled before */
    close_fd(s->fd, 0); /* still in SYN-SENT: nothing goes on the wire */
    slot_release(p, item.id);
    push_result(p, item.id, OUT_TIMEOUT);
  }
  deliver(p);
  arm(p);
  update_ref(p);
}

/* Sets the timer for the earliest deadline that still matters. */
static void arm(Prober *p) {
  if (p->closed) return;
  while (p->nheap > 0) {
    HeapItem *top = &p->heap[0];
    Slot *s = &p->slots[top->id];
    if (s->fd >= 0 && s->gen == top->gen) break;
    heap_pop(p);
  }
  if (p->nheap == 0) {
    if (p->armed != INFINITY) uv_timer_stop(&p->timer);
    p->armed = INFINITY;
    return;
  }
  double deadline = p->heap[0].deadline;
  if (deadline >= p->armed) return;
  double delay = deadline - now_ms();
  uint64_t ms = delay <= 0 ? 0 : (uint64_t)ceil(delay);
  p->armed = deadline;
  uv_timer_start(&p->timer, on_timer, ms, 0);
}

static Prober *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok || !data) {
    napi_throw_error(env, NULL, "not a Prober");
    return NULL;
  }
  Prober *p = data;
  if (p->closed) {
    napi_throw_error(env, NULL, "prober closed");
    return NULL;
  }
  return p;
}

static napi_value ret_int(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

static napi_value js_connect(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  Prober *p = unwrap(env, info, &argc, argv);
  if (!p) return NULL;
  uint32_t ip = 0, port = 0, local = 0;
  double timeout = 0;
  napi_get_value_uint32(env, argv[0], &ip);
  napi_get_value_uint32(env, argv[1], &port);
  napi_get_value_double(env, argv[2], &timeout);
  if (argc > 3) napi_get_value_uint32(env, argv[3], &local);

  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ret_int(env, -(OUT_ERROR + errno + 1));
  if (local != 0) {
    struct sockaddr_in src;
    memset(&src, 0, sizeof src);
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(local);
    if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
      int err = errno;
      close(fd);
      return ret_int(env, -(OUT_ERROR + err + 1));
    }
  }
  struct sockaddr_in dst;
  memset(&dst, 0, sizeof dst);
  dst.sin_family = AF_INET;
  dst.sin_port = htons((uint16_t)port);
  dst.sin_addr.s_addr = htonl(ip);
  if (connect(fd, (struct sockaddr *)&dst, sizeof dst) == 0) {
    close_fd(fd, 1);
    return ret_int(env, -(OUT_OPEN + 1));
  }
  if (errno != EINPROGRESS) {
    int err = errno;
    close(fd);
    return ret_int(env, -(classify(err) + 1));
  }
  uint32_t id = slot_take(p);
  Slot *s = &p->slots[id];
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLOUT;
  ev.data.u64 = ((uint64_t)s->gen << 32) | id;
  if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int err = errno;
    close(fd);
    p->free_ids[p->nfree++] = id;
    return ret_int(env, -(OUT_ERROR + err + 1));
  }
  s->fd = fd;
  p->active++;
  heap_push(p, (HeapItem){now_ms() + timeout, id, s->gen});
  arm(p);
  update_ref(p);
  return ret_int(env, (int32_t)id);
}

static napi_value js_cancel(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Prober *p = unwrap(env, info, &argc, argv);
  if (!p) return NULL;
  uint32_t id = 0;
  napi_get_value_uint32(env, argv[0], &id);
  if (id < p->nslots && p->slots[id].fd >= 0) {
    close(p->slots[id].fd);
    slot_release(p, id);
    update_ref(p);
  }
  return NULL;
}

/*
 * Lifetime: the struct lives until both its libuv handles are closed and the JS object is finalized (in either
 * order); the arrays go as soon as the handles are closed. An environment that ends (a scan worker terminated, the
 * process exiting) calls the async cleanup hook, which closes everything without touching JS; the hook is released
 * only once the close callbacks have run, because the environment unloads this library right after its hooks (a
 * close callback left pending would then point into unmapped code).
 */
static void on_handle_closed(uv_handle_t *handle) {
  Prober *p = handle->data;
  if (--p->handles > 0) return;
  free(p->slots);
  free(p->free_ids);
  free(p->heap);
  p->slots = NULL;
  p->free_ids = NULL;
  p->heap = NULL;
  if (p->hook) {
    napi_async_cleanup_hook_handle hook = p->hook;
    p->hook = NULL;
    napi_remove_async_cleanup_hook(hook);
  }
  if (p->finalized) free(p);
}

static void shutdown_prober(Prober *p) {
  if (p->closed) return;
  for (uint32_t i = 0; i < p->nslots; i++)
    if (p->slots[i].fd >= 0) close(p->slots[i].fd);
  p->closed = 1;
  p->active = 0;
  uv_poll_stop(&p->poll);
  uv_timer_stop(&p->timer);
  close(p->epfd);
  uv_close((uv_handle_t *)&p->poll, on_handle_closed);
  uv_close((uv_handle_t *)&p->timer, on_handle_closed);
}

static void release_refs(Prober *p) {
  if (p->callback) napi_delete_reference(p->env, p->callback);
  if (p->results_ref) napi_delete_reference(p->env, p->results_ref);
  if (p->async_context) napi_async_destroy(p->env, p->async_context);
  p->callback = NULL;
  p->results_ref = NULL;
  p->async_context = NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value self;
  void *data = NULL;
  napi_get_cb_info(env, info, NULL, NULL, &self, NULL);
  if (napi_unwrap(env, self, &data) == napi_ok && data) {
    Prober *p = data;
    if (!p->closed) {
      release_refs(p);
      shutdown_prober(p);
    }
  }
  return NULL;
}

/* The environment is ending: close the descriptors and handles; the references die with the environment. */
static void env_cleanup(napi_async_cleanup_hook_handle hook, void *arg) {
  Prober *p = arg;
  if (p->closed) return; /* closing already: on_handle_closed releases the hook */
  p->callback = NULL;
  p->results_ref = NULL;
  p->async_context = NULL;
  shutdown_prober(p);
}

/* Garbage-collected (or its environment torn down) without close(). */
static void finalize(napi_env env, void *data, void *hint) {
  Prober *p = data;
  if (!p->closed) {
    release_refs(p);
    shutdown_prober(p);
  }
  p->finalized = 1;
  if (p->handles == 0) free(p);
}

static napi_value js_new(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  napi_get_cb_info(env, info, &argc, argv, &self, NULL);
  napi_valuetype type;
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "Prober(onResults) needs a function");
    return NULL;
  }
  Prober *p = calloc(1, sizeof *p);
  if (!p) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  p->env = env;
  p->armed = INFINITY;
  p->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (p->epfd < 0) {
    free(p);
    napi_throw_error(env, NULL, "epoll_create1 failed");
    return NULL;
  }
  napi_get_uv_event_loop(env, &p->loop);
  uv_poll_init(p->loop, &p->poll, p->epfd);
  uv_timer_init(p->loop, &p->timer);
  p->poll.data = p;
  p->timer.data = p;
  p->handles = 2;
  uv_poll_start(&p->poll, UV_READABLE, on_poll);
  uv_unref((uv_handle_t *)&p->poll);
  uv_unref((uv_handle_t *)&p->timer);

  void *buf = NULL;
  napi_value ab, results, name;
  napi_create_arraybuffer(env, OUT_PAIRS * 2 * sizeof(int32_t), &buf, &ab);
  p->out = NULL;
  napi_create_typedarray(env, napi_int32_array, OUT_PAIRS * 2, ab, 0, &results);
  /* The ArrayBuffer's memory belongs to V8; keep it alive through a reference and write into it directly. */
  p->out = buf;
  napi_create_reference(env, results, 1, &p->results_ref);
  napi_set_named_property(env, self, "results", results);
  napi_create_reference(env, argv[0], 1, &p->callback);
  napi_create_string_utf8(env, "scanopy:connect-probe", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &p->async_context);
  napi_wrap(env, self, p, finalize, NULL, NULL);
  napi_add_async_cleanup_hook(env, env_cleanup, p, &p->hook);
  return self;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor methods[] = {
      {"connect", NULL, js_connect, NULL, NULL, NULL, napi_default, NULL},
      {"cancel", NULL, js_cancel, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls;
  napi_define_class(env, "Prober", NAPI_AUTO_LENGTH, js_new, NULL, 3, methods, &cls);
  napi_set_named_property(env, exports, "Prober", cls);
  return exports;
}
