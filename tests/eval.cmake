# onedp eval: the command line on a tiny random-weight policy (written by test_eval --write),
# its JSON line read by Debian's python, and the one-line errors on bad input.
set(EVAL_DIR ${CMAKE_BINARY_DIR}/eval)
set(EVAL_CKPT ${EVAL_DIR}/tiny.safetensors)

# test_eval's two-thread runs need no spinning OpenMP workers on a shared 2-core machine.
set_tests_properties(test_eval PROPERTIES ENVIRONMENT "OMP_NUM_THREADS=1;OMP_WAIT_POLICY=passive")

add_test(NAME eval_tiny_policy COMMAND sh -c "mkdir -p ${EVAL_DIR} && rm -rf ${EVAL_DIR}/gif && $<TARGET_FILE:test_eval> --write ${EVAL_CKPT}")
set_tests_properties(eval_tiny_policy PROPERTIES FIXTURES_SETUP eval_tiny)

# Two seeds with ddim:2 at 1 and 2 threads (same scores expected), GIFs for the first.
add_test(NAME eval_cli COMMAND sh -c
  "$<TARGET_FILE:onedp> eval ${EVAL_CKPT} --sampler ddim:2 --seeds 100000:100002 --threads 1 > ${EVAL_DIR}/t1.txt && \
   $<TARGET_FILE:onedp> eval ${EVAL_CKPT} --sampler ddim:2 --seeds 100000:100002 --threads 2 --gif ${EVAL_DIR}/gif --gif-count 1 > ${EVAL_DIR}/t2.txt")
set_tests_properties(eval_cli PROPERTIES FIXTURES_REQUIRED eval_tiny FIXTURES_SETUP eval_cli_out
  ENVIRONMENT "OMP_WAIT_POLICY=passive")

add_test(NAME eval_cli_json COMMAND ${ONEDP_PYTHON} -c "
import json, os, sys
d = sys.argv[1]
runs = [json.loads(open(os.path.join(d, f)).read().splitlines()[-1]) for f in ('t1.txt', 't2.txt')]
for j in runs:
    assert j['episodes'] == 2 and j['seeds'] == '100000:100002' and j['sampler'] == 'ddim:2:leading', j
    assert j['nfe'] == 2 and j['hz'] > 0 and 0 <= j['score'] <= 1 and j['score_std'] >= 0, j
    assert 0 <= j['success'] <= 1 and 2 <= j['env_steps'] <= 600 and j['wall_s'] > 0, j
    assert len(j['scores']) == 2 and all(0 <= s <= 1 for s in j['scores']), j
assert runs[0]['scores'] == runs[1]['scores'], 'thread count changed the scores'
assert os.path.getsize(os.path.join(d, 'gif', 'seed_100000.gif')) > 0
assert not os.path.exists(os.path.join(d, 'gif', 'seed_100001.gif'))
print('ok', runs[0]['score'], runs[0]['hz'])
" ${EVAL_DIR})
set_tests_properties(eval_cli_json PROPERTIES FIXTURES_REQUIRED eval_cli_out PASS_REGULAR_EXPRESSION "^ok ")

# The inference network (packed bf16 weights): same protocol, its format in the JSON line.
add_test(NAME eval_cli_bf16 COMMAND sh -c
  "$<TARGET_FILE:onedp> eval ${EVAL_CKPT} --sampler ddim:2 --seeds 100000:100002 --threads 1 --weights bf16 | tail -1")
set_tests_properties(eval_cli_bf16 PROPERTIES FIXTURES_REQUIRED eval_tiny
  PASS_REGULAR_EXPRESSION "\"weights\": \"bf16\".*\"episodes\": 2")

# Bad input: one line on stderr, exit status 1 (2 for usage errors).
foreach(case
    "missing|/nonexistent/policy.safetensors --seeds 0:2|1"
    "sampler|${EVAL_CKPT} --sampler ddpm:x|1"
    "sampler_kind|${EVAL_CKPT} --sampler euler:10|1"
    "seeds_empty|${EVAL_CKPT} --seeds 5:5|1"
    "seeds_text|${EVAL_CKPT} --seeds 10-20|1"
    "gif_seed|${EVAL_CKPT} --seeds 0:2 --gif ${EVAL_DIR}/gifbad --gif-seeds 9|1"
    "weights|${EVAL_CKPT} --weights f16|1"
    "option|${EVAL_CKPT} --sed 3|2")
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 name)
  list(GET parts 1 args)
  list(GET parts 2 status)
  add_test(NAME eval_cli_bad_${name} COMMAND sh -c "$<TARGET_FILE:onedp> eval ${args} 2>&1 >/dev/null | wc -l | tr -d ' '; exit 0")
  add_test(NAME eval_cli_bad_${name}_status COMMAND sh -c "$<TARGET_FILE:onedp> eval ${args} >/dev/null 2>&1; test $? -eq ${status}")
  set_tests_properties(eval_cli_bad_${name} PROPERTIES PASS_REGULAR_EXPRESSION "^1\n$")
  set_tests_properties(eval_cli_bad_${name} eval_cli_bad_${name}_status PROPERTIES FIXTURES_REQUIRED eval_tiny)
endforeach()

add_test(NAME eval_cli_help COMMAND onedp eval --help)
set_tests_properties(eval_cli_help PROPERTIES PASS_REGULAR_EXPRESSION "usage: onedp eval CHECKPOINT")
