#include "Utf8Vectors.h"

namespace agenthost::test {
namespace {

std::string bytesOf(std::initializer_list<int> values) {
    std::string out;
    for (const int v : values) out.push_back(static_cast<char>(v));
    return out;
}

// Every lead byte in [first, last) followed by a space: lonely start bytes.
std::string lonelyStarts(int first, int last) {
    std::string out;
    for (int b = first; b < last; ++b) out += bytesOf({b, 0x20});
    return out;
}

const std::string kKosme =
    bytesOf({0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5});

std::vector<Utf8Vector> prefixesOfKosme() {
    // Valid where the prefix ends on a code point boundary.
    std::vector<Utf8Vector> out;
    for (std::size_t n = 1; n <= kKosme.size(); ++n) {
        const bool boundary = n == 2 || n == 5 || n == 7 || n == 9 || n == 11;
        out.push_back({boundary, kKosme.substr(0, n)});
    }
    return out;
}

std::vector<Utf8Vector> nonCharacters() {
    std::vector<Utf8Vector> out = {{true, bytesOf({0xef, 0xbf, 0xbe})},
                                   {true, bytesOf({0xef, 0xbf, 0xbf})}};
    for (const int lead : {0xf0, 0xf1, 0xf2, 0xf3, 0xf4})
        for (const int second : {0x8f, 0x9f, 0xaf, 0xbf}) {
            if (lead == 0xf4 && second != 0x8f) continue;  // above U+10FFFF
            if (lead == 0xf0 && second == 0x8f) continue;  // overlong
            for (const int last : {0xbe, 0xbf})
                out.push_back({true, bytesOf({lead, second, 0xbf, last})});
        }
    return out;
}

}  // namespace

std::vector<Utf8Group> utf8Groups() {
    const std::vector<std::string> missingLast = {bytesOf({0xc0}),
                                                  bytesOf({0xe0, 0x80}),
                                                  bytesOf({0xf0, 0x80, 0x80}),
                                                  bytesOf({0xf8, 0x80, 0x80, 0x80}),
                                                  bytesOf({0xfc, 0x80, 0x80, 0x80, 0x80}),
                                                  bytesOf({0xdf}),
                                                  bytesOf({0xef, 0xbf}),
                                                  bytesOf({0xf7, 0xbf, 0xbf}),
                                                  bytesOf({0xfb, 0xbf, 0xbf, 0xbf}),
                                                  bytesOf({0xfd, 0xbf, 0xbf, 0xbf, 0xbf})};
    std::vector<Utf8Vector> missing;
    std::string concatenated;
    for (const auto& s : missingLast) {
        missing.push_back({false, s});
        concatenated += s;
    }
    std::string continuations;
    for (int b = 0x80; b < 0xbf; ++b) continuations.push_back(static_cast<char>(b));

    return {
        {5,
         "valid UTF-8 sequences",
         {{true, "hello$world"},
          {true, "hello" + bytesOf({0xc2, 0xa2}) + "world"},
          {true, "hello" + bytesOf({0xe2, 0x82, 0xac}) + "world"},
          {true, "hello" + bytesOf({0xf0, 0xa4, 0xad, 0xa2}) + "world"},
          {true, kKosme}}},
        {6, "all prefixes of a valid string with multi-byte code points", prefixesOfKosme()},
        {7,
         "first possible sequence of each length",
         {{true, bytesOf({0x00})},
          {true, bytesOf({0xc2, 0x80})},
          {true, bytesOf({0xe0, 0xa0, 0x80})},
          {true, bytesOf({0xf0, 0x90, 0x80, 0x80})}}},
        {8,
         "first possible sequence of length 5 and 6",
         {{false, bytesOf({0xf8, 0x88, 0x80, 0x80, 0x80})},
          {false, bytesOf({0xfc, 0x84, 0x80, 0x80, 0x80, 0x80})}}},
        {9,
         "last possible sequence of each length",
         {{true, bytesOf({0x7f})},
          {true, bytesOf({0xdf, 0xbf})},
          {true, bytesOf({0xef, 0xbf, 0xbf})},
          {true, bytesOf({0xf4, 0x8f, 0xbf, 0xbf})}}},
        {10,
         "last possible sequence of length 4, 5 and 6",
         {{false, bytesOf({0xf7, 0xbf, 0xbf, 0xbf})},
          {false, bytesOf({0xfb, 0xbf, 0xbf, 0xbf, 0xbf})},
          {false, bytesOf({0xfd, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf})}}},
        {11,
         "other boundary conditions",
         {{true, bytesOf({0xed, 0x9f, 0xbf})},
          {true, bytesOf({0xee, 0x80, 0x80})},
          {true, bytesOf({0xef, 0xbf, 0xbd})},
          {true, bytesOf({0xf4, 0x8f, 0xbf, 0xbf})},
          {false, bytesOf({0xf4, 0x90, 0x80, 0x80})}}},
        {12,
         "unexpected continuation bytes",
         {{false, bytesOf({0x80})},
          {false, bytesOf({0xbf})},
          {false, bytesOf({0x80, 0xbf})},
          {false, bytesOf({0x80, 0xbf, 0x80})},
          {false, bytesOf({0x80, 0xbf, 0x80, 0xbf})},
          {false, bytesOf({0x80, 0xbf, 0x80, 0xbf, 0x80})},
          {false, bytesOf({0x80, 0xbf, 0x80, 0xbf, 0x80, 0xbf})},
          {false, continuations}}},
        {13,
         "lonely start bytes",
         {{false, lonelyStarts(0xc0, 0xdf)},
          {false, lonelyStarts(0xe0, 0xef)},
          {false, lonelyStarts(0xf0, 0xf7)},
          {false, lonelyStarts(0xf8, 0xfb)},
          {false, lonelyStarts(0xfc, 0xfd)}}},
        {14, "sequences with the last continuation byte missing", missing},
        {15, "concatenation of incomplete sequences", {{false, concatenated}}},
        {16,
         "impossible bytes",
         {{false, bytesOf({0xfe})},
          {false, bytesOf({0xff})},
          {false, bytesOf({0xfe, 0xfe, 0xff, 0xff})}}},
        {17,
         "overlong ASCII character",
         {{false, bytesOf({0xc0, 0xaf})},
          {false, bytesOf({0xe0, 0x80, 0xaf})},
          {false, bytesOf({0xf0, 0x80, 0x80, 0xaf})},
          {false, bytesOf({0xf8, 0x80, 0x80, 0x80, 0xaf})},
          {false, bytesOf({0xfc, 0x80, 0x80, 0x80, 0x80, 0xaf})}}},
        {18,
         "maximum overlong sequences",
         {{false, bytesOf({0xc1, 0xbf})},
          {false, bytesOf({0xe0, 0x9f, 0xbf})},
          {false, bytesOf({0xf0, 0x8f, 0xbf, 0xbf})},
          {false, bytesOf({0xf8, 0x87, 0xbf, 0xbf, 0xbf})},
          {false, bytesOf({0xfc, 0x83, 0xbf, 0xbf, 0xbf, 0xbf})}}},
        {19,
         "overlong NUL",
         {{false, bytesOf({0xc0, 0x80})},
          {false, bytesOf({0xe0, 0x80, 0x80})},
          {false, bytesOf({0xf0, 0x80, 0x80, 0x80})},
          {false, bytesOf({0xf8, 0x80, 0x80, 0x80, 0x80})},
          {false, bytesOf({0xfc, 0x80, 0x80, 0x80, 0x80, 0x80})}}},
        {20,
         "single UTF-16 surrogates",
         {{false, bytesOf({0xed, 0xa0, 0x80})},
          {false, bytesOf({0xed, 0xad, 0xbf})},
          {false, bytesOf({0xed, 0xae, 0x80})},
          {false, bytesOf({0xed, 0xaf, 0xbf})},
          {false, bytesOf({0xed, 0xb0, 0x80})},
          {false, bytesOf({0xed, 0xbe, 0x80})},
          {false, bytesOf({0xed, 0xbf, 0xbf})}}},
        {21,
         "paired UTF-16 surrogates",
         {{false, bytesOf({0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80})},
          {false, bytesOf({0xed, 0xa0, 0x80, 0xed, 0xbf, 0xbf})},
          {false, bytesOf({0xed, 0xad, 0xbf, 0xed, 0xb0, 0x80})},
          {false, bytesOf({0xed, 0xad, 0xbf, 0xed, 0xbf, 0xbf})},
          {false, bytesOf({0xed, 0xae, 0x80, 0xed, 0xb0, 0x80})},
          {false, bytesOf({0xed, 0xae, 0x80, 0xed, 0xbf, 0xbf})},
          {false, bytesOf({0xed, 0xaf, 0xbf, 0xed, 0xb0, 0x80})},
          {false, bytesOf({0xed, 0xaf, 0xbf, 0xed, 0xbf, 0xbf})}}},
        {22, "non-character code points (valid UTF-8)", nonCharacters()},
        {23,
         "Unicode specials",
         {{true, bytesOf({0xef, 0xbf, 0xb9})},
          {true, bytesOf({0xef, 0xbf, 0xba})},
          {true, bytesOf({0xef, 0xbf, 0xbb})},
          {true, bytesOf({0xef, 0xbf, 0xbc})},
          {true, bytesOf({0xef, 0xbf, 0xbd})},
          {true, bytesOf({0xef, 0xbf, 0xbe})},
          {true, bytesOf({0xef, 0xbf, 0xbf})}}},
    };
}

std::string hexBytes(const std::string& bytes, std::size_t max) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
        const auto b = static_cast<unsigned char>(bytes[i]);
        if (i) out += ' ';
        out += hex[b >> 4];
        out += hex[b & 0xF];
    }
    if (bytes.size() > max) out += " ... (" + std::to_string(bytes.size()) + " bytes)";
    return out;
}

}  // namespace agenthost::test
