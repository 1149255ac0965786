package bench

import "strings"

// benchSentences are sentence-length texts (≈ 15–30 bert-base-uncased
// tokens each) with sentiment and named entities, used by every benchmark.
var benchSentences = []string{
	"The movie was absolutely wonderful, and the acting was superb from start to finish.",
	"I can't believe how terrible the customer service was at the downtown location yesterday.",
	"Apple announced its new iPhone in Cupertino on Tuesday, alongside updates to the Mac lineup.",
	"The weather in Paris was cold and rainy, but we still enjoyed the museums and cafes.",
	"She said the report would be ready by Friday, although nobody on the team seemed convinced.",
	"Our flight to New York was delayed by three hours because of a mechanical problem.",
	"The new restaurant on Main Street serves the best ramen I've had outside of Tokyo.",
	"Researchers at Stanford University published a study on the effects of sleep deprivation.",
	"Honestly, the sequel was a huge disappointment compared to the original film.",
	"The committee will meet again next month to discuss the proposed budget changes.",
	"Barack Obama visited Berlin in 2008 and gave a speech to more than 200,000 people.",
	"This product broke after two days; I want a refund and an apology from the manufacturer.",
	"The quarterly earnings exceeded analysts' expectations, sending the stock up 12 percent.",
	"We hiked through the mountains for six hours before finally reaching the lake at sunset.",
	"Microsoft and OpenAI extended their partnership with a multibillion-dollar investment.",
	"The hotel room was clean and spacious, but the Wi-Fi barely worked during our stay.",
	"Angela Merkel met Emmanuel Macron in Brussels to talk about energy prices and trade.",
	"The concert was loud, crowded and far too expensive for what we actually got.",
	"Toyota is recalling nearly a million cars in Japan and the United States over airbag faults.",
	"I really love how simple and fast the new update feels on my old laptop.",
	"Amazon opened a new warehouse near Dublin, creating about five hundred jobs in the area.",
	"The service was slow, the food was cold, and the waiter was rude to everyone at our table.",
	"Lionel Messi scored twice as Inter Miami beat Orlando City in front of a sold-out crowd.",
	"It was an average day at the office, nothing special happened and the meeting ran late.",
	"The museum in Amsterdam has a beautiful collection of paintings by Rembrandt and Vermeer.",
	"After three weeks of waiting, the package from Berlin finally arrived completely damaged.",
	"NASA confirmed that the rover landed safely and sent its first pictures back to Houston.",
	"My sister thinks the book is brilliant, but I found the ending confusing and rushed.",
	"The bank raised interest rates again, and mortgage holders across Canada are worried.",
	"We stayed at a lovely little hotel in Lisbon run by a friendly family from Porto.",
	"The train from London to Edinburgh was on time, quiet and surprisingly comfortable.",
	"Google was fined by the European Commission for abusing its dominance in online search.",
}

// benchTexts returns n sentence-length texts, round-robin.
func benchTexts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = benchSentences[i%len(benchSentences)]
	}
	return out
}

// mixedTexts returns n texts of very different lengths: from a few words to
// six sentences (≈ 4 to 170 tokens), in an order that mixes them, as a
// folder of real documents would.
func mixedTexts(n int) []string {
	out := make([]string, n)
	for i := range out {
		s := benchSentences[(i*5)%len(benchSentences)]
		switch k := (i * 7) % 12; {
		case k < 3: // a fragment of the sentence
			w := strings.Fields(s)
			out[i] = strings.Join(w[:min(len(w), 3+k*2)], " ")
		case k < 8: // one sentence
			out[i] = s
		default: // several sentences
			parts := []string{s}
			for j := 1; j < k-5; j++ {
				parts = append(parts, benchSentences[(i*5+j*3)%len(benchSentences)])
			}
			out[i] = strings.Join(parts, " ")
		}
	}
	return out
}
