"""One module per `autoedit` subcommand: `add_arguments(parser)` and `run(args, ctx) -> int`."""
