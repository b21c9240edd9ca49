"""Pure models and rules of learnpath. Imports no framework but pydantic."""
