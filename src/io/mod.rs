//! Importers (with format detection) and exporters for the files users bring.
