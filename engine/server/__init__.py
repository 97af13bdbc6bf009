"""The engine process (`autoedit serve`): ZeroMQ ROUTER server, job queue and worker, CURVE security."""
