#!/bin/bash
# Apply each of issue 17's four planted bugs to a scratch copy of src/ and run the matching tests.
set -u
WT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
STATUS=0
run() {  # name, file, python-replace-old, new, tests...
  name=$1; file=$2; old=$3; new=$4; shift 4
  rm -rf $SCRATCH/src; cp -r $WT/src $SCRATCH/src
  python3 - "$file" "$old" "$new" "$SCRATCH" <<'PY'
import sys; p=sys.argv[4]+"/src/"+sys.argv[1]; s=open(p).read(); assert s.count(sys.argv[2])==1, sys.argv[2]
open(p,"w").write(s.replace(sys.argv[2], sys.argv[3]))
PY
  if [ $? -ne 0 ]; then echo "[$name] NOT PLANTED: the code to change was not found (update this script)"; STATUS=1; return; fi
  cd $WT && PYTHONPATH=$SCRATCH/src OMP_NUM_THREADS=1 ${PYTHON:-$WT/.venv/bin/python} -m pytest -q -p no:cacheprovider "$@" 2>&1 | grep -E "^FAILED|passed|failed" | sed "s/^/[$name] /"
}
run photoz-ge astrobench/metrics/photoz.py "delta_z(z_true, z_pred)) > threshold" "delta_z(z_true, z_pred)) >= threshold" tests/metrics
run fraction-floor astrobench/data/splits.py "take = max(1, math.ceil(fraction * len(members)))" "take = max(1, math.floor(fraction * len(members)))" tests/data/test_splits.py
run store-no-filter astrobench/bench/store.py '            query += " WHERE suite = ?"
            params = (suite,)' '            pass' tests/bench/test_store.py
run catalog-gt astrobench/data/cutout_checks.py "or column.shape != (n,):" "or column.shape[0] > n:" tests/data/test_cutout_structure.py tests/data/test_cutout_file.py tests/data/test_validate.py
# Not among the issue's four, but named in it: kNN choosing the worst k on validation.
run knn-worst-k astrobench/protocols/knn.py "best = int(np.argmax(task.selection_score(" "best = int(np.argmin(task.selection_score(" tests/protocols/test_frozen_protocols.py
# photoz_metrics counts outliers inline as well as in outlier_fraction(): plant it there too.
run photoz-metrics-ge astrobench/metrics/photoz.py "metrics[outlier_key(threshold)] = float(np.mean(abs_dz > threshold))" "metrics[outlier_key(threshold)] = float(np.mean(abs_dz >= threshold))" tests/metrics tests/tasks
exit $STATUS
