package bot

import (
	"testing"

	"github.com/go-telegram/bot/models"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in       string
		wantCmd  command
		wantArgs string
		wantOK   bool
	}{
		{"/start", command{name: "start"}, "", true},
		{"/ask 渔门镇呢？", command{name: "ask"}, "渔门镇呢？", true},
		{"/ask渔门镇呢？", command{name: "ask"}, "渔门镇呢？", true},
		{"/ASK@Fazhi_Bot  城关镇 ", command{name: "ask", target: "Fazhi_Bot"}, "城关镇", true},
		{"/facts@other_bot", command{name: "facts", target: "other_bot"}, "", true},
		{"/", command{}, "", false},
		{"/ 空", command{}, "", false},
		{"渔门镇/城关镇", command{}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			cmd, args, ok := parseCommand(tt.in)
			if cmd != tt.wantCmd || args != tt.wantArgs || ok != tt.wantOK {
				t.Errorf("parseCommand(%q) = %+v, %q, %v; want %+v, %q, %v", tt.in, cmd, args, ok, tt.wantCmd, tt.wantArgs, tt.wantOK)
			}
		})
	}
}

func TestAddressed(t *testing.T) {
	b := &Bot{}
	b.me.Store(&models.User{ID: 777, IsBot: true, Username: "fazhi_bot"})
	mention := func(off, n int) []models.MessageEntity {
		return []models.MessageEntity{{Type: models.MessageEntityTypeMention, Offset: off, Length: n}}
	}
	tests := []struct {
		name     string
		text     string
		entities []models.MessageEntity
		reply    *models.Message
		want     string
		wantOK   bool
	}{
		{"entity", "@fazhi_bot 渔门镇呢", mention(0, 10), nil, "渔门镇呢", true},
		// Offsets are UTF-16 units: the emoji before the mention takes two.
		{"entity after astral rune", "😀问 @Fazhi_Bot 城关镇", mention(4, 10), nil, "😀问  城关镇", true},
		{"other mention", "@someone 你好", mention(0, 8), nil, "", false},
		{"no entities, text fallback", "问 @FAZHI_BOT", nil, nil, "问", true},
		{"longer name is not us", "@fazhi_bot2 hi", nil, nil, "", false},
		{"reply to bot", "那2021年呢", nil, &models.Message{From: &models.User{ID: 777}}, "那2021年呢", true},
		{"reply to someone else", "那2021年呢", nil, &models.Message{From: &models.User{ID: 1}}, "", false},
		{"bad entity offsets", "@fazhi_bot", mention(5, 50), nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := b.addressed(tt.text, tt.entities, &models.Message{ReplyToMessage: tt.reply})
			if ok != tt.wantOK || (ok && got != tt.want) {
				t.Errorf("addressed(%q) = %q, %v; want %q, %v", tt.text, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
