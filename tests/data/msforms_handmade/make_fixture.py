"""Write the hand-made Microsoft Forms fixture (XLSX); run from this folder to rebuild."""

import datetime as dt
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
HEAD = ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time",
        "Organisatie", "Functie", "Ik voel me verbonden met mijn collega's.",
        "Ik weet wat er speelt in andere afdelingen.",
        "Ik voel me vaak een eilandje binnen de organisatie."]
DATA = [
    [1, dt.datetime(2026, 3, 4, 9, 15, 2), dt.datetime(2026, 3, 4, 9, 21, 40),
     "a.jansen@example.nl", "Anna Jansen", None, "NDM", "Leidinggevende",
     "Agree", "Strongly agree", "Disagree"],
    [2, dt.datetime(2026, 3, 5, 13, 2, 3), dt.datetime(2026, 3, 5, 13, 9, 0),
     "anonymous", None, None, "ZWK", "Externe dienstverlening / buitendienst",
     "Neutral", "Don't know", "Strongly disagree"],
]

book = openpyxl.Workbook()
sheet = book.active
sheet.title = "Sheet1"
for row in [HEAD, *DATA]:
    sheet.append(row)
book.save(HERE / "msforms.xlsx")
