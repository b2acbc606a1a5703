"""okrgraph: an async GraphQL backend for OKRs with explainable progress rollups."""
