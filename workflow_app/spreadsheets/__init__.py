"""Spreadsheets in and out: XLSX and CSV exports, the activity import and its template."""
