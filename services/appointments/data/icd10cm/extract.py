#!/usr/bin/env python3
"""Extracts the outpatient subset of ICD-10-CM from CMS's tabular list (XML) into codes.tsv.

  python3 extract.py <icd10cm-tabular-*.xml> > codes.tsv

Kept: every 3-character category and every 4-character subcategory (one digit
after the dot), except chapters S-Y (injuries with their 7th characters and
external causes), whose codes only make sense in full. One line per code:
code, a tab, its title. Sorted by code.
"""
import sys
import xml.etree.ElementTree as ET

rows = {}
for diag in ET.parse(sys.argv[1]).iter('diag'):
    code, title = diag.findtext('name'), diag.findtext('desc')
    if not code or not title or len(code) > 5:
        continue
    if code[0] in 'VWXY' or (code[0] in 'ST' and len(code) > 3):
        continue
    rows[code] = ' '.join(title.split())
for code in sorted(rows):
    print(f'{code}\t{rows[code]}')
