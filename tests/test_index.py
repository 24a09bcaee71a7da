"""The index: incremental builds by content hash, and an atomic swap that survives interruption."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from kb import index as kb_index
from kb.embed import Embedder
from kb.index import build, current_build
from kb.problems import CorpusInvalid
from kb.search import Query
from kb.service import Knowledge
from kb.settings import Settings

STAT = "wt/2023/statutory/03-help.md"


def search_keys(settings: Settings, embedder: Embedder, text: str) -> list[str]:
    return [h.provision.key for h in Knowledge(settings, embedder).search(Query(text, limit=4))]


def test_first_build_embeds_everything_and_serves(settings: Settings, embedder: Embedder) -> None:
    before = embedder.encoded
    report = build(settings, lambda: embedder)
    assert report.changed and report.provisions == 4
    assert report.embedded + report.reused == 4
    assert embedder.encoded - before == report.embedded
    manifest = json.loads((current_build(settings.index_dir) / "manifest.json").read_text())
    assert manifest["provisions"] == 4 and "wt/2023/referral-decision" in manifest["hashes"]
    assert search_keys(settings, embedder, "enquiries under section 47")[0] == "section-47-enquiry"


def test_rebuild_with_nothing_changed_embeds_nothing(settings: Settings, embedder: Embedder) -> None:
    build(settings, lambda: embedder)
    live = current_build(settings.index_dir)
    before = embedder.encoded
    report = build(settings, lambda: embedder)
    assert not report.changed and report.embedded == 0
    assert embedder.encoded == before
    assert current_build(settings.index_dir) == live


def test_changing_one_provision_re_embeds_only_that_one(settings: Settings, embedder: Embedder) -> None:
    build(settings, lambda: embedder)
    path = settings.corpus_dir / STAT
    path.write_text(path.read_text().replace("makes enquiries.", "makes enquiries to decide whether to act."))
    before = embedder.encoded
    report = build(settings, lambda: embedder)
    assert report.changed and (report.embedded, report.reused) == (1, 3)
    assert embedder.encoded - before == 1


def test_metadata_change_rebuilds_without_re_embedding(settings: Settings, embedder: Embedder) -> None:
    build(settings, lambda: embedder)
    path = settings.corpus_dir / STAT
    path.write_text(path.read_text().replace('para="11"', 'para="11-12"'))
    report = build(settings, lambda: embedder)
    assert report.changed and report.embedded == 0
    hit = Knowledge(settings, embedder).provision(2023, "section-47-enquiry")
    assert hit.para == "11-12"


def test_invalid_corpus_leaves_the_live_index_untouched(settings: Settings, embedder: Embedder) -> None:
    build(settings, lambda: embedder)
    live = current_build(settings.index_dir)
    path = settings.corpus_dir / STAT
    path.write_text(path.read_text().replace('roles="dsl"', 'roles="nobody"'))
    with pytest.raises(CorpusInvalid):
        build(settings, lambda: embedder)
    assert current_build(settings.index_dir) == live


def test_failure_mid_build_keeps_previous_index_serving(
    settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(settings, lambda: embedder)
    live = current_build(settings.index_dir)
    path = settings.corpus_dir / STAT
    path.write_text(path.read_text().replace("Schools refer concerns", "Schools and colleges refer concerns"))

    def crash(*_args: object) -> None:
        raise KeyboardInterrupt  # what Ctrl-C raises, after Chroma has been written

    monkeypatch.setattr(kb_index, "_write_bm25", crash)
    with pytest.raises(KeyboardInterrupt):
        build(settings, lambda: embedder)
    assert current_build(settings.index_dir) == live
    assert list((settings.index_dir / "builds").glob(".tmp-*")), "the interrupted build left its temp folder"
    assert search_keys(settings, embedder, "schools refer concerns")[0] == "schools-refer"
    monkeypatch.undo()
    report = build(settings, lambda: embedder)
    assert report.changed and report.embedded == 0, "the interrupted build's embedding was cached"
    assert not list((settings.index_dir / "builds").glob(".tmp-*")), "leftovers are swept"
    assert (
        Knowledge(settings, embedder)
        .search(Query("schools refer"))[0]
        .provision.title.startswith("Schools and")
    )


def test_kill_9_during_build_never_leaves_a_broken_live_index(settings: Settings, embedder: Embedder) -> None:
    build(settings, lambda: embedder)
    path = settings.corpus_dir / STAT
    path.write_text(path.read_text().replace("Schools refer concerns", "Schools refer every concern"))
    env = {
        **os.environ,
        "WTKB_CORPUS_DIR": str(settings.corpus_dir),
        "WTKB_INDEX_DIR": str(settings.index_dir),
    }
    proc = subprocess.Popen([sys.executable, "-m", "kb.cli", "build"], env=env, stderr=subprocess.DEVNULL)
    cache = settings.index_dir / "embeddings.sqlite3"
    stamp = cache.stat().st_mtime_ns
    deadline = time.monotonic() + 120
    while proc.poll() is None and cache.stat().st_mtime_ns == stamp and time.monotonic() < deadline:
        time.sleep(0.01)  # wait until the build is writing, then kill it without warning
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    live = current_build(settings.index_dir)
    assert live is not None and (live / "manifest.json").exists()
    assert search_keys(settings, embedder, "schools refer")[0] == "schools-refer"
    build(settings, lambda: embedder)  # the next build completes after the kill
    assert "every concern" in Knowledge(settings, embedder).provision(2023, "schools-refer").title


def test_old_builds_are_pruned(settings: Settings, embedder: Embedder) -> None:
    path = settings.corpus_dir / STAT
    for n in range(4):
        path.write_text(path.read_text() + f"\nExtra sentence {n}.\n")
        build(settings, lambda: embedder)
    builds = sorted(b.name for b in (settings.index_dir / "builds").iterdir() if not b.name.startswith("."))
    assert len(builds) == kb_index.KEEP_BUILDS
    assert current_build(settings.index_dir).name == builds[-1]
