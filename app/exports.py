"""Tables handed out as downloads: CSV (UTF-8 with a BOM, so Excel reads Chinese correctly) or
XLSX with one sheet per table.

Cells hold what people typed (a resident's name, a worker's note). A spreadsheet runs text that
starts with = + - @, a tab or a carriage return as a formula (OWASP's "CSV injection"): in CSV such
a cell gets a leading apostrophe, in XLSX it is written as a string cell, never as a formula."""
import csv
import io

from flask import Response
from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell

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
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl would otherwise store text that starts with "=" as a formula
    return cell


MAX_IMPORT_ROWS = 5000


class TableError(ValueError):
    """A file that cannot be read as a table: its message says why, for the person uploading."""


def read_table(raw: bytes, filename: str = "") -> list[dict]:
    """The rows of an uploaded CSV (UTF-8 or GB18030, as Excel in China saves it) or XLSX (its
    first sheet), as {header: text} with blank rows left out. Raises TableError."""
    if raw[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        rows = _xlsx_rows(raw)
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise TableError(_("无法识别文件编码，请保存为 UTF-8 CSV"))
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error as exc:
            raise TableError(_("CSV 格式有误：%(e)s", e=str(exc))) from None
    if not rows:
        raise TableError(_("文件是空的"))
    if len(rows) > MAX_IMPORT_ROWS + 1:
        raise TableError(_("一次最多导入 %(n)s 行", n=MAX_IMPORT_ROWS))
    header = [str(h or "").strip() for h in rows[0]]
    out = []
    for row in rows[1:]:
        cells = ["" if v is None else str(v).strip() for v in row]
        if any(cells):
            out.append(dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=False)))
    return out


def _xlsx_rows(raw: bytes):
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_IMPORT_ROWS + 1:
                break
        book.close()
        return rows
    except Exception:  # noqa: BLE001 - any unreadable upload is the uploader's to fix, never a 500
        raise TableError(_("无法读取这个 XLSX 文件，请另存为 XLSX 或 CSV 后再试")) from None


MAX_UPLOAD = 2 * 1024 * 1024


def upload_page(form, run, done, back, template, **context):
    """A page that takes a table file: ``run(raw, filename) -> (a, b, errors)`` in one unit of
    work (all rows or none); ``done(a, b)`` is the message shown after, then back to ``back``;
    with errors the page shows every bad line."""
    from flask import flash, redirect, render_template

    from .transaction import unit_of_work

    errors = []
    if form.validate_on_submit():
        upload = form.file.data
        with unit_of_work():
            first, second, errors = run(upload.read(MAX_UPLOAD + 1), upload.filename or "")
        if not errors:
            flash(done(first, second), "info")
            return redirect(back)
    return render_template(template, form=form, errors=errors, **context)
