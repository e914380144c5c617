"""Regions (the province and its kabupaten/kota) and their agencies (OPD)."""
