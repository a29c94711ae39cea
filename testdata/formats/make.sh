#!/usr/bin/env bash
# make.sh regenerates the format fixtures in this directory from the seed
# reports in ../reports: for every seed NAME.txt it writes
#
#   NAME.docx          Word 2007+ (pandoc for the Markdown-styled seed 000,
#                      LibreOffice for the others: one paragraph per line)
#   NAME.pdf           LibreOffice PDF of the text: hard-wrapped lines
#   NAME.doc           Word 97-2003 (OLE2), LibreOffice
#   NAME_gb18030.txt   the text re-encoded as GB18030
#   NAME.html          a web page around the text: header, nav bar, script,
#                      style, article metadata, tool bar, footer, form;
#                      seeds 001 and 003 are GBK-encoded and say so in a
#                      <meta> tag (charset=gbk and gb2312 respectively)
#
# plus 004_40507ad071df1468.wps, a copy of the .doc (WPS Office writes
# Word-compatible OLE2 files under that extension).
#
# Needs: libreoffice-writer-nogui fonts-noto-cjk pandoc (Debian packages),
# iconv and sed. Run from anywhere: testdata/formats/make.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
seeds=$here/../reports
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

soffice_convert() { # soffice_convert FORMAT FILE...
	local fmt=$1
	shift
	soffice --headless --norestore --nologo --nolockcheck \
		-env:UserInstallation="file://$work/profile" \
		--infilter="Text (encoded):UTF8,LF,,," \
		--convert-to "$fmt" --outdir "$work/out" "$@" >/dev/null 2>&1
}

# html_escape escapes text for an HTML element body.
html_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }

# html_page NAME CHARSET_META writes the web page for seed NAME to stdout.
html_page() {
	local name=$1 meta=$2 src=$seeds/$1.txt title
	title=$(grep -m1 -v '^[[:space:]]*$' "$src" | sed -e 's/^#* *//' -e 's/\*//g' | html_escape)
	cat <<EOF
<!DOCTYPE html>
<html lang="zh-CN">
<head>
$meta
<title>$title - 政务公开</title>
<style>
body { font: 16px/1.8 "SimSun", serif; }
.nav a { margin: 0 1em; } .article p { text-indent: 2em; }
</style>
<script>
var _hmt = _hmt || []; document.write("<p>统计代码不应出现在正文中</p>");
</script>
</head>
<body>
<header><div class="logo">人民政府门户网站</div><div class="search">站内搜索</div></header>
<nav class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a><a href="/fzzf/">法治政府建设</a><a href="/hdjl/">互动交流</a></nav>
<div class="article">
<div class="info">
<table><tr><td>信息索引号：000014349/2021-00123</td><td>公开方式：主动公开</td></tr></table>
<p>来源：司法所　　发布时间：2021-02-05 09:30　　浏览次数：<span id="hits">1024</span></p>
</div>
<div class="content">
EOF
	if [[ $name == 000_* ]]; then
		# The Markdown-styled seed: let pandoc render headings and bold.
		pandoc -f markdown -t html --wrap=auto "$src"
	else
		# One paragraph per line, indented with full-width spaces as Word
		# users do; the source breaks after the third comma, as editors
		# wrap, to exercise white-space collapsing between CJK text.
		grep -v '^[[:space:]]*$' "$src" | html_escape |
			LC_ALL=C.UTF-8 sed -e 's/^/<p>　　/' -e 's/$/<\/p>/' -e 's/，/，\n/3'
	fi
	cat <<'EOF'
</div>
<div class="tools">【打印】【关闭】</div>
</div>
<footer><p>主办单位：人民政府办公室　网站标识码：5109000001</p></footer>
<noscript>您的浏览器不支持JavaScript</noscript>
<form action="/search"><input name="q" value="搜索"><button>搜索</button></form>
<iframe src="/ad.html">广告</iframe>
</body>
</html>
EOF
}

mkdir -p "$work/out"
for src in "$seeds"/*.txt; do
	name=$(basename "$src" .txt)
	echo "$name" >&2

	iconv -f UTF-8 -t GB18030 "$src" >"$here/${name}_gb18030.txt"

	soffice_convert pdf "$src"
	soffice_convert doc "$src"
	if [[ $name == 000_* ]]; then
		pandoc -f markdown -t docx -o "$work/out/$name.docx" "$src"
	else
		soffice_convert docx "$src"
	fi
	for ext in pdf doc docx; do
		mv "$work/out/$name.$ext" "$here/$name.$ext"
	done

	case $name in
	001_*)
		html_page "$name" '<meta charset="gbk">' | iconv -f UTF-8 -t GBK >"$here/$name.html"
		;;
	003_*)
		html_page "$name" '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">' |
			iconv -f UTF-8 -t GBK >"$here/$name.html"
		;;
	*)
		html_page "$name" '<meta charset="utf-8">' >"$here/$name.html"
		;;
	esac
done
cp "$here/004_40507ad071df1468.doc" "$here/004_40507ad071df1468.wps"
ls -l "$here" >&2
