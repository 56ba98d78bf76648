"""Record what the real ``wandb`` client writes for each table shape (``make fixtures``).

Runs wandb in offline mode in a scratch directory (nothing leaves the machine), logs
each shape of ``shapes.py`` in its own run, then reads back what wandb wrote: the
run's records from its ``.wandb`` file (config, summary, history, artifact records
with their manifests) and the staged artifact entries (``.table.json``, npz side
files, media). Everything lands under ``tests/realwandb/recorded/``:

    recorded/index.json                    every shape: run, artifacts, entries, notes
    recorded/<shape>/run.json              config, summary, history rows, artifacts
                                           (name, type, version, aliases, client ids,
                                           history step, manifest with refs/digests)
    recorded/<shape>/files/<artifact>/<version>/<entry>   entry bytes as wandb staged them
                                           (entries over 1 MB are stored gzipped: <entry>.gz)
    recorded/<shape>/source.parquet        the logged frame(s), where Parquet can hold them

What varies between two recordings (everything else is deterministic; checked by
recording twice and comparing):
- the ``<ms>`` stamp in INCREMENTAL entry names (``None-<ms>.<key>.table.json``), and the
  digests and client-id paths of the documents that name them;
- wandb's random artifact ``client_id``/``sequence_client_id`` (and so the
  ``wandb-client-artifact://`` paths in summaries, histories and reference entries);
- wandb's clock keys (``_timestamp``, ``_runtime``), dropped here.
npz side files and media are named by content hash, so they do not vary. Run ids are
fixed (``rw-<shape>``); versions (v0, v1, ...) are given in logging order per artifact
name, as the server numbers them.

Usage: python -m tests.realwandb.record [--out DIR] [--only SHAPE ...]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import struct
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.realwandb import shapes

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "recorded"
PROJECT = "realwandb"
ENTITY = "recorder"
GZIP_OVER_BYTES = 1_000_000
WANDB_VERSION = "0.31.0"

# ---------------------------------------------------------------------------------------
# The shapes: each logs into an open run. Config doubles as filter fixtures (a flat key
# with a dot in its name, and a nested one).
# ---------------------------------------------------------------------------------------


def _log_scalars(wandb: Any, run: Any) -> None:
    run.log({"eval/predictions": wandb.Table(dataframe=shapes.scalars())})


def _log_nested(wandb: Any, run: Any) -> None:
    run.log({"nested": wandb.Table(dataframe=shapes.nested())})


def _log_datetimes(wandb: Any, run: Any) -> None:
    run.log({"times": wandb.Table(dataframe=shapes.datetimes())})


def _log_arrays(wandb: Any, run: Any) -> None:
    run.log({"arrays": wandb.Table(dataframe=shapes.arrays())})


def _log_media(wandb: Any, run: Any) -> None:
    table = wandb.Table(columns=["id", "image", "page"])
    for index in range(shapes.MEDIA_ROWS):
        table.add_data(index, wandb.Image(shapes.image_pixels(index)), wandb.Html(shapes.html_text(index)))
    run.log({"media": table})


def _log_mixed(wandb: Any, run: Any) -> None:
    frame = shapes.mixed()
    run.log({"mixed": wandb.Table(columns=list(frame.columns), data=frame.values.tolist(), allow_mixed_types=True)})


def _log_immutable_epochs(wandb: Any, run: Any) -> None:
    for epoch in range(3):
        run.log({"epoch": epoch, "eval/predictions": wandb.Table(dataframe=shapes.epoch_frame(epoch))})


def _log_mutable(wandb: Any, run: Any) -> None:
    table = wandb.Table(columns=["epoch", "row", "loss"], log_mode="MUTABLE")
    for epoch in range(3):
        for row in shapes.epoch_frame(epoch).itertuples(index=False):
            table.add_data(*row)
        run.log({"epoch": epoch, "eval/predictions": table})


def _log_incremental(wandb: Any, run: Any) -> None:
    table = wandb.Table(columns=["step", "text"], log_mode="INCREMENTAL")
    for index in range(shapes.INCREMENTS):
        for row in shapes.increment(index).itertuples(index=False):
            table.add_data(*row)
        run.log({"eval/stream": table})


def _log_partitioned(wandb: Any, run: Any) -> None:
    art = wandb.Artifact("parts", type="dataset")
    for index in range(shapes.PARTS):
        art.add(wandb.Table(dataframe=shapes.part(index)), f"parts/part_{index}")
    table = wandb.data_types.PartitionedTable("parts")
    art.add(table, "partitioned")
    run.log_artifact(art)
    run.log({"partitioned": table})  # the run's pointer to it


def _log_joined(wandb: Any, run: Any) -> None:
    art = wandb.Artifact("joined", type="dataset")
    art.add(wandb.Table(dataframe=shapes.joined_left()), "left")
    art.add(wandb.Table(dataframe=shapes.joined_right()), "right")
    table = wandb.JoinedTable("left.table.json", "right.table.json", "id")
    art.add(table, "joined")
    run.log_artifact(art)
    run.log({"joined": table})  # the run's pointer to it


def _log_reference(wandb: Any, run: Any) -> None:
    table = wandb.Table(dataframe=shapes.reference())
    run.log({"eval/predictions": table})
    art = wandb.Artifact("eval-predictions", type="predictions")
    art.add(table, "predictions")  # already in the run_table artifact: a reference entry
    run.log_artifact(art)


def _log_ambiguous(wandb: Any, run: Any) -> None:
    for index in range(shapes.AMBIGUOUS):
        art = wandb.Artifact(f"preds-{index}", type="predictions")
        art.add(wandb.Table(dataframe=shapes.ambiguous(index)), "eval/predictions")
        run.log_artifact(art)


def _log_same_entry(wandb: Any, run: Any) -> None:
    run.log({"preds": wandb.Table(dataframe=shapes.same_entry_logged())})
    art = wandb.Artifact("other-preds", type="predictions")
    art.add(wandb.Table(dataframe=shapes.same_entry_other()), "preds")  # same entry name, other rows
    run.log_artifact(art)


def _log_added_first(wandb: Any, run: Any) -> None:
    table = wandb.Table(dataframe=shapes.added_first())
    art = wandb.Artifact("eval-split", type="predictions")
    art.add(table, "split_preds")
    run.log_artifact(art)
    run.log({"eval/split": table})  # wandb's run_table entry then refers to the artifact's


def _log_big(wandb: Any, run: Any) -> None:
    frame = shapes.big()
    art = wandb.Artifact("big", type="predictions")
    art.add(wandb.Table(columns=list(frame.columns), data=frame.to_numpy().tolist()), "big")
    run.log_artifact(art)


ShapeFn = Callable[[Any, Any], None]
SHAPES: dict[str, tuple[str, ShapeFn, dict[str, Any], Callable[[], dict[str, pd.DataFrame]]]] = {
    "scalars": (
        "Table(dataframe=...) with int, int > 2^53, float NaN/inf, bool, None, str, categorical",
        _log_scalars,
        {"model.type": "distil", "params": {"encoder": "head_tail"}},
        lambda: {"eval/predictions": shapes.scalars()},
    ),
    "nested": (
        "list and dict cells",
        _log_nested,
        {"model": {"type": "bert"}, "params": {"encoder": "head"}},
        lambda: {"nested": shapes.nested()},
    ),
    "datetimes": (
        "naive and tz-aware datetimes (epoch ms, wb_type timestamp)",
        _log_datetimes,
        {},
        lambda: {"times": shapes.datetimes()},
    ),
    "arrays": (
        "ndarray cells: 1-D <= 150 inlined, longer and 2-D in media/serialized_data/*.npz",
        _log_arrays,
        {},
        lambda: {"arrays": shapes.arrays()},
    ),
    "media": ("Image and Html cells", _log_media, {}, lambda: {}),
    "mixed": ("allow_mixed_types=True column", _log_mixed, {}, lambda: {"mixed": shapes.mixed()}),
    "immutable_epochs": (
        "a new IMMUTABLE table under one key at each of 3 steps",
        _log_immutable_epochs,
        {},
        lambda: {f"epoch{e}": shapes.epoch_frame(e) for e in range(3)},
    ),
    "mutable": (
        "one MUTABLE table grown and logged at each of 3 steps",
        _log_mutable,
        {},
        lambda: {"final": pd.concat([shapes.epoch_frame(e) for e in range(3)], ignore_index=True)},
    ),
    "incremental": (
        "one INCREMENTAL table logged 3 times",
        _log_incremental,
        {},
        lambda: {"all": pd.concat([shapes.increment(i) for i in range(shapes.INCREMENTS)], ignore_index=True)},
    ),
    "partitioned": (
        "PartitionedTable over 3 parts in a dataset artifact",
        _log_partitioned,
        {},
        lambda: {f"part{i}": shapes.part(i) for i in range(shapes.PARTS)},
    ),
    "joined": (
        "JoinedTable of two tables on 'id'",
        _log_joined,
        {},
        lambda: {"left": shapes.joined_left(), "right": shapes.joined_right()},
    ),
    "reference": (
        "a logged table added to an artifact afterwards (reference entry)",
        _log_reference,
        {},
        lambda: {"reference": shapes.reference()},
    ),
    "ambiguous": (
        "three artifacts that each hold eval/predictions",
        _log_ambiguous,
        {},
        lambda: {f"preds{i}": shapes.ambiguous(i) for i in range(shapes.AMBIGUOUS)},
    ),
    "same_entry": (
        "a logged table and another artifact's table with the same entry name",
        _log_same_entry,
        {},
        lambda: {"logged": shapes.same_entry_logged(), "other": shapes.same_entry_other()},
    ),
    "added_first": (
        "a table added to an artifact, then logged with run.log under another name",
        _log_added_first,
        {},
        lambda: {"added_first": shapes.added_first()},
    ),
    "big": ("200,005 rows through artifact.add (wandb keeps 200,000)", _log_big, {}, lambda: {}),
}


# ---------------------------------------------------------------------------------------
# Reading a .wandb file: LevelDB log format (32 KiB blocks of checksummed chunks) after a
# 7-byte header (":W&B", magic 0xBEE1, version), each record a wandb_internal Record.
# ---------------------------------------------------------------------------------------

_BLOCK = 32 * 1024
_CHUNK_HEADER = 7
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def wandb_records(path: Path) -> Iterator[bytes]:
    """The raw protobuf records of a ``.wandb`` file, in order."""
    data = path.read_bytes()
    if data[:4] != b":W&B":
        raise ValueError(f"{path} is not a .wandb file")
    pos, pending = 7, b""
    while pos + _CHUNK_HEADER <= len(data):
        left = _BLOCK - pos % _BLOCK
        if left < _CHUNK_HEADER:
            pos += left  # block trailer padding
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + _CHUNK_HEADER])
        if length == 0 and kind == 0:
            pos += left
            continue
        payload = data[pos + _CHUNK_HEADER : pos + _CHUNK_HEADER + length]
        pos += _CHUNK_HEADER + length
        if kind == _FULL:
            yield payload
        elif kind == _FIRST:
            pending = payload
        elif kind == _MIDDLE:
            pending += payload
        elif kind == _LAST:
            yield pending + payload
            pending = b""


def _set_nested(target: dict[str, Any], item: Any) -> None:
    keys = list(item.nested_key) or [item.key]
    value = json.loads(item.value_json)
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


def _remove_nested(target: dict[str, Any], item: Any) -> None:
    keys = list(item.nested_key) or [item.key]
    for key in keys[:-1]:
        target = target.get(key, {})
    target.pop(keys[-1], None)


def read_run(path: Path) -> dict[str, Any]:
    """Config, summary, history rows and artifact records of one offline run."""
    from wandb.proto import wandb_internal_pb2 as pb

    config: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    history: list[dict[str, Any]] = []
    artifacts: list[dict[str, Any]] = []
    run_info: dict[str, Any] = {}
    exited = False
    for raw in wandb_records(path):
        record = pb.Record()
        record.ParseFromString(raw)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            if record.run.run_id:  # later run records may be partial updates
                run_info = {"id": record.run.run_id, "project": record.run.project}
            for item in record.run.config.update:
                _set_nested(config, item)
        elif kind == "exit":
            exited = True
        elif kind == "config":
            for item in record.config.update:
                _set_nested(config, item)
            for item in record.config.remove:
                _remove_nested(config, item)
        elif kind == "summary":
            for item in record.summary.update:
                _set_nested(summary, item)
            for item in record.summary.remove:
                _remove_nested(summary, item)
        elif kind == "history":
            row: dict[str, Any] = {}
            for item in record.history.item:
                _set_nested(row, item)
            row.setdefault("_step", record.history.step.num)
            history.append(row)
        elif kind == "artifact":
            art = record.artifact
            contents = {}
            for entry in art.manifest.contents:
                item: dict[str, Any] = {"digest": entry.digest, "size": entry.size}
                if entry.ref:
                    item["ref"] = entry.ref
                if entry.local_path:
                    item["local_path"] = entry.local_path
                contents[entry.path] = item
            artifacts.append(
                {
                    "name": art.name,
                    "type": art.type,
                    "aliases": list(art.aliases),
                    "digest": art.digest,
                    "description": art.description or None,
                    "metadata": json.loads(art.metadata) if art.metadata else {},
                    "client_id": art.client_id,
                    "sequence_client_id": art.sequence_client_id,
                    "incremental": bool(art.incremental_beta1),
                    "history_step": len(history),  # logged while this step was being built
                    "manifest": {
                        "version": art.manifest.version,
                        "storagePolicy": art.manifest.storage_policy,
                        "storagePolicyConfig": {c.key: json.loads(c.value_json) for c in art.manifest.storage_policy_config},
                        "contents": contents,
                    },
                }
            )
    for row in [*history, summary]:  # wandb's clock keys: they vary and nothing reads them
        for key in ("_timestamp", "_runtime", "_wandb"):
            row.pop(key, None)
    config.pop("_wandb", None)
    return {"run": run_info, "exited": exited, "config": config, "summary": summary, "history": history, "artifacts": artifacts}


# ---------------------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------------------


def _scratch_env(scratch: Path) -> None:
    for name in ("WANDB_DIR", "WANDB_DATA_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR", "WANDB_ARTIFACT_DIR"):
        os.environ[name] = str(scratch)
    os.environ.update(
        {
            "WANDB_MODE": "offline",
            "WANDB_SILENT": "true",
            "WANDB_CONSOLE": "off",
            "WANDB_DISABLE_GIT": "true",
            "WANDB_DISABLE_CODE": "true",
            "WANDB_ERROR_REPORTING": "false",  # no Sentry
            "WANDB_X_DISABLE_STATS": "true",
        }
    )
    os.environ.pop("WANDB_API_KEY", None)
    os.environ.pop("WANDB_BASE_URL", None)


def _settings(wandb: Any) -> Any:
    return wandb.Settings(
        x_disable_stats=True,
        x_disable_meta=True,
        x_disable_machine_info=True,
        save_code=False,
        disable_git=True,
        console="off",
    )


def _store_entries(shape_dir: Path, art: dict[str, Any], version: str) -> None:
    for entry_path, item in art["manifest"]["contents"].items():
        local = item.pop("local_path", None)
        if "ref" in item or not local:
            continue
        content = Path(local).read_bytes()
        target = shape_dir / "files" / art["name"] / version / entry_path
        target.parent.mkdir(parents=True, exist_ok=True)
        if len(content) > GZIP_OVER_BYTES:
            target = target.with_name(target.name + ".gz")
            target.write_bytes(gzip.compress(content, mtime=0))
        else:
            target.write_bytes(content)


def _parquet_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``frame`` that Parquet holds as they are (not ndarray/mixed cells)."""
    keep = []
    for column in frame.columns:
        try:
            frame[[column]].to_parquet(os.devnull)
        except Exception:  # noqa: BLE001 - pyarrow has many error types; such columns stay out
            continue
        keep.append(column)
    return frame[keep]


def _run_id(name: str) -> str:
    return f"rw-{name.replace('_', '-')}"


def log_shape(wandb: Any, name: str) -> None:
    """Log one shape in its own offline run."""
    _description, log, config, _sources = SHAPES[name]
    run = wandb.init(
        project=PROJECT, entity=ENTITY, id=_run_id(name), config=config, settings=_settings(wandb), reinit="finish_previous"
    )
    log(wandb, run)
    run.finish()


def record_shape(name: str, scratch: Path, out: Path) -> dict[str, Any]:
    """Read back what wandb wrote for one logged shape into ``out/<name>``."""
    description, _log, _config, sources = SHAPES[name]
    run_id = _run_id(name)
    files = sorted(scratch.glob(f"wandb/offline-run-*-{run_id}/run-{run_id}.wandb"))
    if len(files) != 1:
        raise RuntimeError(f"expected one .wandb file for {run_id}, found {files}")
    recorded = read_run(files[0])
    if recorded["run"].get("id") != run_id or not recorded["exited"]:
        raise RuntimeError(f"{files[0]} is incomplete (no run or exit record): wandb has not finished writing it")
    shape_dir = out / name
    if shape_dir.exists():
        shutil.rmtree(shape_dir)
    shape_dir.mkdir(parents=True)
    counters: dict[str, int] = {}
    for art in recorded["artifacts"]:
        version = f"v{counters.get(art['name'], 0)}"
        counters[art["name"]] = counters.get(art["name"], 0) + 1
        art["version"] = version
        _store_entries(shape_dir, art, version)
    for art in recorded["artifacts"]:  # "latest" moves to the last version of each name
        art["aliases"] = [a for a in art["aliases"] if a != "latest"]
        if art["version"] == f"v{counters[art['name']] - 1}":
            art["aliases"].append("latest")
    recorded.pop("exited")
    (shape_dir / "run.json").write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    frames = sources()
    if frames:
        parts = [_parquet_columns(frame).assign(_frame=key) for key, frame in frames.items()]
        pd.concat(parts, ignore_index=True).to_parquet(shape_dir / "source.parquet", index=False)
    return {
        "description": description,
        "run_id": run_id,
        "config": recorded["config"],
        "artifacts": [
            {
                "name": a["name"],
                "version": a["version"],
                "type": a["type"],
                "aliases": a["aliases"],
                "history_step": a["history_step"],
                "entries": sorted(a["manifest"]["contents"]),
                "references": sorted(p for p, e in a["manifest"]["contents"].items() if "ref" in e),
            }
            for a in recorded["artifacts"]
        ],
        "summary_tables": {k: v for k, v in recorded["summary"].items() if isinstance(v, dict) and "_type" in v},
        "source_frames": sorted(frames),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", nargs="*", choices=sorted(SHAPES), help="record only these shapes")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="wbview-record-"))
    try:
        _scratch_env(scratch)
        import wandb

        if wandb.__version__ != WANDB_VERSION:
            print(f"warning: recording with wandb {wandb.__version__}, fixtures describe {WANDB_VERSION}", file=sys.stderr)
        args.out.mkdir(parents=True, exist_ok=True)
        index_path = args.out / "index.json"
        index = json.loads(index_path.read_text()) if index_path.exists() and args.only else {"shapes": {}}
        index.update({"wandb_version": wandb.__version__, "entity": ENTITY, "project": PROJECT})
        names = args.only or list(SHAPES)
        for name in names:
            print(f"logging {name}", file=sys.stderr)
            log_shape(wandb, name)
        wandb.teardown()  # wandb-core flushes the .wandb files when it exits
        for name in names:
            index["shapes"][name] = record_shape(name, scratch, args.out)
        index["shapes"] = dict(sorted(index["shapes"].items()))
        index_path.write_text(json.dumps(index, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
