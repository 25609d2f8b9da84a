"""The Python peer of `summit-bot ask --json` for whole-process speed figures.

jieba (search mode) + bm25s over a JSONL corpus of {"id","title","text"}: the
index is built at start, then one question per line of standard input is
answered with its top 5 passages, one JSON line each. `--batch` retrieves all
questions in one bm25s call instead of one call per question.

    pip install jieba bm25s numpy scipy
    python3 benches/peer/bm25s_peer.py CORPUS.jsonl < questions.txt > answers.jsonl
"""

import json
import sys

import bm25s
import jieba

jieba.setLogLevel(60)


def tokens(text):
    return [t for t in jieba.cut_for_search(text) if t.strip()]


def main():
    batch = "--batch" in sys.argv
    path = [a for a in sys.argv[1:] if not a.startswith("--")][0]
    ids, docs = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                ids.append(row["id"])
                docs.append(tokens(row.get("title", "") + " " + row["text"]))
    retriever = bm25s.BM25()
    retriever.index(docs, show_progress=False)
    questions = [q.rstrip("\n") for q in sys.stdin]
    out = sys.stdout
    k = min(5, len(ids))

    def emit(question, found, scores):
        hits = [{"id": ids[int(d)], "score": float(s)} for d, s in zip(found, scores)]
        out.write(json.dumps({"question": question, "passages": hits}, ensure_ascii=False) + "\n")

    if batch:
        found, scores = retriever.retrieve([tokens(q) or ["?"] for q in questions], k=k, show_progress=False)
        for q, f, s in zip(questions, found, scores):
            emit(q, f, s)
    else:
        for q in questions:
            found, scores = retriever.retrieve([tokens(q) or ["?"]], k=k, show_progress=False)
            emit(q, found[0], scores[0])


if __name__ == "__main__":
    main()
