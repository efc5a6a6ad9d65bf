# The benchmark smoke test: runs ablate_bench on the tiny preset with small sizes and checks that
# its JSON holds every expected benchmark, none of them failed, and busbw is reported.
# cmake -DBENCH=<ablate_bench> -DMIN_TIME=<0.01 or 0.01s> -DOUT=<json> -P check_bench_json.cmake
cmake_minimum_required(VERSION 3.22)  # IN_LIST and string(JSON)
file(REMOVE ${OUT})
execute_process(COMMAND ${BENCH} --preset=tiny --device=cpu --kv-frames=3,21 --ranks=2 --min-bytes=1024 --max-bytes=4096
                        --benchmark_min_time=${MIN_TIME} --benchmark_out=${OUT} --benchmark_out_format=json
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ablate_bench exited with ${rc}\n${out}\n${err}")
endif()
file(READ ${OUT} json)
string(JSON n LENGTH "${json}" benchmarks)
set(names "")
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  string(JSON name GET "${json}" benchmarks ${i} name)
  string(JSON error ERROR_VARIABLE no_error GET "${json}" benchmarks ${i} error_occurred)
  if(error)
    string(JSON message GET "${json}" benchmarks ${i} error_message)
    message(FATAL_ERROR "benchmark ${name} failed: ${message}")
  endif()
  if(name MATCHES "^all_")
    string(JSON busbw ERROR_VARIABLE no_busbw GET "${json}" benchmarks ${i} busbw)
    if(NOT busbw GREATER 0)
      message(FATAL_ERROR "benchmark ${name}: expected a busbw counter > 0, got '${busbw}'")
    endif()
  endif()
  list(APPEND names "${name}")
endforeach()
set(expected "dit_block/tiny/manual_time" "attention/tiny/kv_frames:3/manual_time" "attention/tiny/kv_frames:21/manual_time"
             "vae_decode_frame/tiny/manual_time" "text_encode/tiny/manual_time"
             "all_gather/gloo/ranks:2/bytes:1024/manual_time" "all_gather/gloo/ranks:2/bytes:4096/manual_time"
             "all_to_all/gloo/ranks:2/bytes:1024/manual_time" "all_to_all/gloo/ranks:2/bytes:4096/manual_time"
             "instrumentation/nvtx_range" "instrumentation/phase_timer_phase")
foreach(e IN LISTS expected)
  if(NOT e IN_LIST names)
    message(FATAL_ERROR "expected benchmark '${e}' in ${OUT}; found: ${names}")
  endif()
endforeach()
message(STATUS "ablate_bench: ${n} benchmarks, all expected names present")
