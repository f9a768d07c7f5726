"""Tables handed out as downloads: CSV (UTF-8 with a BOM, so Excel reads Chinese correctly) or
XLSX with one sheet per table."""
import csv
import io

from flask import Response

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_download(fmt, filename, sheets):
    """``sheets``: [(title, rows)] with the header as the first row. CSV carries the first."""
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(sheets[0][1])
        body, mimetype = "\ufeff" + out.getvalue(), "text/csv; charset=utf-8"
    else:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        for title, rows in sheets:
            ws = wb.create_sheet(title)
            for row in rows:
                ws.append(row)
        buf = io.BytesIO()
        wb.save(buf)
        body, mimetype = buf.getvalue(), XLSX_TYPE
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
