{
  "targets": [
    {
      "target_name": "scanopy_connect",
      "sources": ["src/connect_scan.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
