package bot

import "fazhi/messenger"

// maxMessageLen is the Bot API limit on one message's text in UTF-16 code
// units; messenger.HTML measures the escaped HTML source, which is never
// shorter than the text Telegram measures, so every part fits.
const maxMessageLen = 4096

// Replies only the Telegram bot sends.
const (
	msgAskUsage   = "请在 /ask 后输入问题，例如：/ask 渔门镇2020年调解了多少件矛盾纠纷？"
	msgFactsUsage = "用法：/facts 乡镇名 [年份]，例如：/facts 渔门镇 2020"
	msgUnknownCmd = "未知命令。发送 /help 查看用法。"
)

const helpText = `您好！我是法治政府建设工作报告问答助手。
直接发送问题即可，例如：
• 渔门镇2020年共排查、调解各类矛盾纠纷多少件？
• 那城关镇呢？（可以接着上一问追问）

命令：
/ask 问题 — 提问（群聊中使用，或 @我）
/reports — 已收录的报告
/facts 乡镇名 [年份] — 该乡镇报告中的数据
/proof — 上一个回答所依据的原文
/help — 显示本帮助
（也可发送中文命令：报告列表、数据 乡镇名 [年份]、原文、帮助）

Ask questions about township rule-of-law annual reports, in Chinese or English; /help shows this message.`

// words is how the bot's replies name its commands.
var words = messenger.Vocabulary{
	Help:       helpText,
	ProofHint:  "发送 /proof 查看原文。",
	Reports:    "/reports",
	FactsUsage: msgFactsUsage,
}
