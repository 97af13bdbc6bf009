"""Effects: a library of parametric looks and moves chosen from the prompt, written into the OTIO
timeline as `otio.schema.Effect`s, rendered by the preview and mapped into the hosts; plus effects the
code model (or the user) writes, which run only inside the sandbox."""
