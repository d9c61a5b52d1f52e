# node-gyp build of the same sources as CMakeLists.txt (keep the two lists in step).
# Each ISA's kernels are a static library of their own so that only that file gets
# its instruction-set flags; release code never uses -march=native.
{
  "target_defaults": {
    "cflags_cc": ["-std=c++17", "-O3", "-fPIC", "-fno-trapping-math"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++14"],
    "cflags!": ["-fno-exceptions"],
    "include_dirs": ["native"],
    "xcode_settings": {"GCC_ENABLE_CPP_EXCEPTIONS": "YES", "CLANG_CXX_LANGUAGE_STANDARD": "c++17"}
  },
  "targets": [
    {
      "target_name": "quiver_kernels_scalar",
      "type": "static_library",
      "sources": ["native/kernels/kernels_scalar.cpp"],
      "cflags_cc": ["-fno-tree-vectorize", "-fno-tree-slp-vectorize"]
    },
    {
      "target_name": "quiver_kernels_avx2",
      "type": "static_library",
      "sources": ["native/kernels/kernels_avx2.cpp", "native/kernels/flat_tile_avx2.cpp", "native/kernels/flat_i8_avx2.cpp", "native/kernels/kernels_neon.cpp", "native/bench/stream_avx2.cpp"],
      "conditions": [["target_arch=='x64'", {"cflags_cc": ["-mavx2", "-mfma"]}]]
    },
    {
      "target_name": "quiver_kernels_bits_scalar",
      "type": "static_library",
      "sources": ["native/kernels/kernels_bits_scalar.cpp"],
      "cflags_cc": ["-fno-tree-vectorize", "-fno-tree-slp-vectorize", "-ffp-contract=off"]
    },
    {
      "target_name": "quiver_kernels_bits_avx2",
      "type": "static_library",
      "sources": ["native/kernels/kernels_bits_avx2.cpp"],
      "cflags_cc": ["-ffp-contract=off"],
      "conditions": [["target_arch=='x64'", {"cflags_cc": ["-mavx2", "-mfma", "-mpopcnt"]}]]
    },
    {
      "target_name": "quiver_kernels_bits_avx512",
      "type": "static_library",
      "sources": ["native/kernels/kernels_bits_avx512.cpp"],
      "cflags_cc": ["-ffp-contract=off"],
      "conditions": [["target_arch=='x64'", {
        "cflags_cc": ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mfma", "-mavx2", "-mpopcnt"]
      }]]
    },
    {
      "target_name": "quiver_kernels_avx512",
      "type": "static_library",
      "sources": ["native/kernels/kernels_avx512.cpp", "native/kernels/flat_i8_avx512.cpp", "native/bench/stream_avx512.cpp"],
      "conditions": [["target_arch=='x64'", {
        "cflags_cc": ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mfma", "-mavx2"]
      }]]
    },
    {
      "target_name": "quiver_kernels_avx512_vnni",
      "type": "static_library",
      "sources": ["native/kernels/flat_i8_avx512_vnni.cpp"],
      "conditions": [["target_arch=='x64'", {
        "cflags_cc": ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mfma", "-mavx2", "-mavx512vnni"]
      }]]
    },
    {
      "target_name": "quiverdb",
      "dependencies": ["quiver_kernels_scalar", "quiver_kernels_avx2", "quiver_kernels_avx512", "quiver_kernels_avx512_vnni",
                       "quiver_kernels_bits_scalar", "quiver_kernels_bits_avx2", "quiver_kernels_bits_avx512"],
      "sources": [
        "native/kernels/dispatch.cpp",
        "native/index/flat_index.cpp",
        "native/index/hnsw_graph.cpp",
        "native/index/hnsw_quantizer.cpp",
        "native/index/hnsw_rabitq.cpp",
        "native/index/hnsw_repair.cpp",
        "native/index/hnsw_index.cpp",
        "native/index/hnsw_io.cpp",
        "native/index/mapped_vectors.cpp",
        "native/util/thread_pool.cpp",
        "native/util/file_lock.cpp",
        "native/util/cache_size.cpp",
        "native/bench/probes.cpp",
        "native/binding/addon.cpp",
        "native/binding/flat_index_wrap.cpp",
        "native/binding/hnsw_index_wrap.cpp",
        "native/binding/label_filter_wrap.cpp",
        "native/binding/mapped_vectors_wrap.cpp"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-fvisibility=hidden"],
      "libraries": ["-lpthread"]
    }
  ]
}
