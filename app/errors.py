"""Error pages in the user's language; JSON for the API."""
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError


def _messages():
    return {
        400: (_("请求无效"), _("提交的内容无法处理。")),
        403: (_("没有权限"), _("你可以查看此内容，但不能修改。")),
        404: (_("找不到"), _("页面不存在，或不在你的管辖范围内。")),
        413: (_("文件太大"), _("上传的文件超过了大小限制。")),
        429: (_("请求过于频繁"), _("请稍后再试。")),
        500: (_("服务器出错"), _("已记录，请稍后再试。你的记录不会丢失。")),
    }


def _render(code, title=None, message=None):
    default_title, default_message = _messages().get(code, (str(code), ""))
    title, message = title or default_title, message or default_message
    if request.path.startswith("/api/"):
        return jsonify(error=code, message=message), code
    return render_template("errors/error.html", code=code, title=title, message=message), code


def install_error_handlers(app):
    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, lambda exc, code=code: _render(code))

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return _render(400, _("页面已过期"), _("表单已过期或无效，请刷新页面后重试。"))
