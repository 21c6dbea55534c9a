"""Write the hand-made SurveyMonkey fixture (CSV and XLSX); run from this folder to rebuild."""

import csv
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
S1 = "Ik voel me verbonden met mijn collega's."
S2 = "Ik weet wat er speelt in andere afdelingen."
S3 = "Ik voel me vaak een eilandje binnen de organisatie."
ROW1 = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address",
        "Email Address", "First Name", "Last Name", "Custom Data 1", "Organisatie", "Functie",
        "Verbondenheid", "", "", "Opmerkingen"]
ROW2 = ["", "", "", "", "", "", "", "", "", "Response", "Response", S1, S2, S3,
        "Open-Ended Response"]
DATA = [
    ["11498520031", "431234567", "03/04/2026 09:15:02 AM", "03/04/2026 09:21:40 AM",
     "192.0.2.1", "a.jansen@example.nl", "Anna", "Jansen", "", "NDM",
     "Interne dienstverlening", "Mee eens", "Zeer mee eens", "Mee oneens", "Prima, hoor"],
    ["11498520032", "431234567", "03/05/2026 01:02:03 PM", "03/05/2026 01:09:00 PM",
     "192.0.2.2", "b.bakker@example.nl", "Bram", "Bakker", "", "NDM", "",
     "Strongly agree", "Weet niet", "Neutraal", "Regel 1\nregel 2, met komma"],
    ["11498520033", "431234567", "03/06/2026 10:00:00 AM", "03/06/2026 10:04:30 AM",
     "192.0.2.3", "c.visser@example.nl", "Cor", "Visser", "", "SGM", "Beleid",
     "zeer  mee ONEENS", "Mee oneens", "Zeer mee eens", ""],
]

with (HERE / "surveymonkey.csv").open("w", newline="", encoding="utf-8") as handle:
    writer = csv.writer(handle)
    writer.writerows([ROW1, ROW2, *DATA])

book = openpyxl.Workbook()
sheet = book.active
for row in [ROW1, ROW2, *DATA]:
    sheet.append([v if v != "" else None for v in row])
book.save(HERE / "surveymonkey.xlsx")
