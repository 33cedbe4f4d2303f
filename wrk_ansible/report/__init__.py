"""The review surface: report data (pure), what-if (pure), collection (I/O) and rendering."""
