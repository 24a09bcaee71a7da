"""wtkb's library: parse and check the corpus, build the index, search and answer (no HTTP here)."""
