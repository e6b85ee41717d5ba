"""Image files in and out: decoding and encoding, headers, metadata, colour profiles, atomic writes."""
