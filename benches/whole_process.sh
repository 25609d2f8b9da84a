#!/bin/sh
# Whole-process speed of `summit-bot ask --json` (lexical path) against the
# Python peer (jieba + bm25s, benches/peer/bm25s_peer.py), in the same run.
#
#   cargo build --release
#   pip install jieba bm25s numpy scipy      # the peer's packages (PEER_PYTHON picks the interpreter)
#   benches/whole_process.sh CORPUS.jsonl QUESTIONS.jsonl [COUNT]
#
# QUESTIONS is a JSONL file with a "question" field; COUNT questions are asked
# (the file cycled; default: all of it). Prints wall time, CPU time and peak
# RSS of each process, and our time as a share of the peer's.
set -eu
corpus=$1
questions=$2
count=${3:-0}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/target/release/summit-bot
python=${PEER_PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" - "$questions" "$count" > "$work/questions.txt" <<'PY'
import itertools, json, sys
qs = [json.loads(l)["question"].replace("\n", " ") for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
n = int(sys.argv[2]) or len(qs)
print("\n".join(itertools.islice(itertools.cycle(qs), n)))
PY
n=$(wc -l < "$work/questions.txt")

measure() {
    # name, command...: one line "name wall_s cpu_s rss_mb"
    name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" < "$work/questions.txt" > "$work/$name.out"
    read -r wall user sys rss < "$work/time"
    echo "$name $wall $(awk "BEGIN{print $user + $sys}") $((rss / 1024))"
}

export SUMMIT_SEMANTIC_ENABLED=false
peer=$(measure peer "$python" "$here/benches/peer/bm25s_peer.py" "$corpus")
ram=$(measure summit-ram "$bin" --no-dotenv ask --json --corpus "$corpus")
SUMMIT_INDEX_PATH="$work/index" "$bin" --no-dotenv index --corpus "$corpus" > /dev/null 2>&1
disk=$(SUMMIT_INDEX_PATH="$work/index" measure summit-disk "$bin" --no-dotenv ask --json --corpus "$corpus")

echo "$n questions, $(wc -l < "$corpus") passages"
printf '%-12s %8s %8s %8s %10s\n' run wall_s cpu_s rss_mb share_wall
peer_wall=$(echo "$peer" | cut -d' ' -f2)
for line in "$peer" "$ram" "$disk"; do
    set -- $line
    printf '%-12s %8s %8s %8s %10s\n' "$1" "$2" "$3" "$4" "$(awk "BEGIN{printf \"%.3f\", $2 / $peer_wall}")"
done
