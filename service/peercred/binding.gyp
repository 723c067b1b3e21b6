# The SO_PEERCRED addon (see peercred.c). Built by build/native.mjs with the node-gyp that ships inside npm.
{
  "targets": [
    {
      "target_name": "peercred",
      "sources": ["peercred.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra"]
    }
  ]
}
