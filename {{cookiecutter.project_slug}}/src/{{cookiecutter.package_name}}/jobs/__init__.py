"""Work that outlives the request: the arq queue the app fills and the worker that empties it."""
