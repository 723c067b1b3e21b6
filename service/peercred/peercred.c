// getsockopt(SO_PEERCRED) for Node, which has no API for it: the kernel's record of who connected to a unix socket
// (taken at connect time, so a peer cannot change it afterwards). N-API only, so one build serves every Node >= 20.
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <node_api.h>

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static int set_number(napi_env env, napi_value target, const char *name, uint32_t value, int is_signed) {
  napi_value v;
  napi_status s = is_signed ? napi_create_int32(env, (int32_t)value, &v) : napi_create_uint32(env, value, &v);
  return s == napi_ok && napi_set_named_property(env, target, name, v) == napi_ok;
}

// peerCredentials(fd: number) -> {pid, uid, gid}; throws with the errno text when the fd is not a connected socket.
static napi_value peer_credentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1
      || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "peerCredentials(fd): fd must be a number");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return throw_error(env, strerror(errno));
  napi_value result;
  if (napi_create_object(env, &result) != napi_ok
      || !set_number(env, result, "pid", (uint32_t)cred.pid, 1)
      || !set_number(env, result, "uid", cred.uid, 0)
      || !set_number(env, result, "gid", cred.gid, 0)) {
    return throw_error(env, "peerCredentials: could not build the result");
  }
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "peerCredentials", NAPI_AUTO_LENGTH, peer_credentials, NULL, &fn) != napi_ok
      || napi_set_named_property(env, exports, "peerCredentials", fn) != napi_ok) {
    return NULL;
  }
  return exports;
}
