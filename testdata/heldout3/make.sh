#!/usr/bin/env bash
# make.sh regenerates reports/ (the files that get ingested) from the text
# sources in src/:
#
#   m01, m02   Markdown with a table  -> .docx (pandoc)
#   m03        plain text             -> .docx (LibreOffice, one paragraph per line)
#   m04, m05   plain text             -> .pdf  (LibreOffice: hard-wrapped lines)
#   m06        plain text             -> .doc  (LibreOffice, Word 97-2003)
#   m07        plain text             -> .txt  re-encoded as GB18030 (iconv)
#   m08        plain text             -> .html government web page with site
#                                          clutter (nav, breadcrumbs, sidebar,
#                                          script, share bar, footer)
#   m09, m10   plain text             -> .txt  UTF-8 copies
#
# Needs: pandoc, libreoffice-writer-nogui, fonts-noto-cjk, iconv, sed.
# Run from anywhere: testdata/heldout3/make.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$here/src
out=$here/reports
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/out"

soffice_convert() { # soffice_convert FORMAT FILE
	soffice --headless --norestore --nologo --nolockcheck \
		-env:UserInstallation="file://$work/profile" \
		--infilter="Text (encoded):UTF8,LF,,," \
		--convert-to "$1" --outdir "$work/out" "$2" >/dev/null 2>&1
	mv "$work/out/$(basename "$2" .txt).${1%%:*}" "$out/"
}

html_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }

# html_page FILE writes a county government web page around FILE's text.
html_page() {
	local f=$1 title
	title=$(grep -m1 -v '^[[:space:]]*$' "$f" | html_escape)
	cat <<HTML
<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="ArticleTitle" content="$title">
<meta name="PubDate" content="2023-02-14 10:25">
<title>${title}_开平市人民政府门户网站</title>
<link rel="stylesheet" href="/css/article.css">
<style>.breadcrumb a{color:#333}.share span{margin:0 4px}.article p{text-indent:2em}</style>
<script src="/js/jquery.min.js"></script>
<script>
var _hmt = _hmt || [];
(function(){var hm=document.createElement("script");hm.src="https://hm.baidu.com/hm.js?0a1b2c";})();
</script>
</head>
<body>
<div class="topbar"><span>欢迎访问开平市人民政府门户网站</span><a href="/wza">无障碍浏览</a><a href="/en">English</a><a href="/old">长者模式</a></div>
<header><div class="logo"><img src="/images/logo.png" alt="开平市人民政府"></div>
<form class="search" action="/search"><input name="q" placeholder="请输入关键词"><button>搜索</button></form></header>
<nav><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li><li><a href="/zjkp/">走进开平</a></li></ul></nav>
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; <a href="/zwgk/fzzfjs/">法治政府建设</a> &gt; 正文</div>
<div class="main">
<div class="article">
<h1>$title</h1>
<div class="info">发布时间：2023-02-14 10:25　来源：榕溪街道办事处　浏览次数：<span id="hits">386</span>　字号：【<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】</div>
<div class="content" id="zoom">
HTML
	# Skip the title line (it is the <h1>); one paragraph per line.
	grep -v '^[[:space:]]*$' "$f" | tail -n +2 | html_escape |
		sed -e 's/^/<p>/' -e 's/$/<\/p>/'
	cat <<'HTML'
</div>
<div class="share">分享到：<span>微信</span><span>微博</span><span>QQ空间</span></div>
<div class="tools"><a href="javascript:window.print()">【打印本页】</a><a href="javascript:window.close()">【关闭窗口】</a></div>
<div class="pn"><p>上一篇：<a href="/zwgk/fzzfjs/1.html">开平市2022年度行政执法数据公开</a></p><p>下一篇：<a href="/zwgk/fzzfjs/3.html">关于开展2023年“宪法宣传周”活动的通知</a></p></div>
</div>
<aside class="side"><h3>相关链接</h3><ul><li><a href="#">江门市人民政府</a></li><li><a href="#">广东省人民政府</a></li><li><a href="#">中国政府网</a></li></ul>
<h3>热点专题</h3><ul><li><a href="#">优化营商环境</a></li><li><a href="#">平安侨乡建设</a></li></ul></aside>
</div>
<footer><p>主办：开平市人民政府办公室　承办：开平市政务服务数据管理局</p>
<p>网站标识码：4407830001　粤ICP备05000000号　粤公网安备 44078302000000号</p>
<p>联系电话：0750-0000000　建议使用1366×768分辨率浏览</p></footer>
<script>document.getElementById("hits").innerHTML = "387";</script>
</body>
</html>
HTML
}

for f in m01_a3f2c1 m02_7b19e4; do
	pandoc -f markdown -t docx -o "$out/$f.docx" "$src/$f.md"
done
soffice_convert docx "$src/m03_c50d8a.txt"
soffice_convert pdf "$src/m04_e21b77.txt"
soffice_convert pdf "$src/m05_4d8f03.txt"
soffice_convert doc "$src/m06_9a6c52.txt"
iconv -f UTF-8 -t GB18030 "$src/m07_1f7e3b.txt" >"$out/m07_1f7e3b.txt"
html_page "$src/m08_b84d29.txt" >"$out/m08_b84d29.html"
cp "$src/m09_62ea05.txt" "$src/m10_d7c3f8.txt" "$out/"
ls -l "$out" >&2
