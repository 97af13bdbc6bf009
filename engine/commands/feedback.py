"""`autoedit feedback count|export OUT`: the stored preference events, counted or exported as a dataset."""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument(
        "action",
        choices=["count", "export"],
        help="count: print the number of stored events; export: write a dataset",
    )
    parser.add_argument(
        "out",
        nargs="?",
        help="export: a new directory for the Hugging Face dataset (datasets.load_from_disk)",
    )
    parser.add_argument("--profile", help="only events of this editor profile")


def run(args, ctx) -> int:
    from engine.errors import BadInput
    from engine.learning.store import default_store

    store = default_store(ctx.data_dir)
    try:
        if args.action == "count":
            print(f"stored preference events: {store.count(args.profile)}")
            return 0
        if not args.out:
            raise BadInput("`autoedit feedback export` needs OUT, a new directory to write the dataset to")
        from engine.learning.dataset import export_dataset

        dataset = export_dataset(store, Path(args.out), args.profile)
        sizes = ", ".join(f"{name} {len(split)}" for name, split in dataset.items())
        print(f"wrote {args.out} ({sizes}); load it with datasets.load_from_disk")
        return 0
    finally:
        store.close()
