-- Search index: written by the retrieval work (placeholder until it lands).
SELECT 1;
