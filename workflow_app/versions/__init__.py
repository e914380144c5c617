"""Definition versions in the database: what running cases were started under, kept safe."""
