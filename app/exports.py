"""Tables handed out as downloads: CSV (UTF-8 with a BOM, so Excel reads Chinese correctly) or
XLSX with one sheet per table.

Cells hold what people typed (a resident's name, a worker's note). A spreadsheet runs text that
starts with = + - @, a tab or a carriage return as a formula (OWASP's "CSV injection"): in CSV such
a cell gets a leading apostrophe, in XLSX it is written as a string cell, never as a formula."""
import csv
import io

from flask import Response

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _csv_cell(value):
    return "'" + value if is_formula_like(value) else value


def table_download(fmt, filename, sheets):
    """``sheets``: [(title, rows)] with the header as the first row. CSV carries the first."""
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows([_csv_cell(v) for v in row] for row in sheets[0][1])
        body, mimetype = "\ufeff" + out.getvalue(), "text/csv"  # Flask adds the charset
    else:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        for title, rows in sheets:
            ws = wb.create_sheet(title)
            for row in rows:
                ws.append([_xlsx_cell(ws, v) for v in row])
        buf = io.BytesIO()
        wb.save(buf)
        body, mimetype = buf.getvalue(), XLSX_TYPE
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _xlsx_cell(sheet, value):
    if not is_formula_like(value):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl would otherwise store text that starts with "=" as a formula
    return cell
