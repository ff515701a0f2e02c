"""Meaning beyond shared words: the static vectors, their tokenizer and the centroid table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.knowledge import Article, KnowledgeIndex, load_markdown_dir
from bot.knowledge.semantic import SemanticTable
from bot.knowledge.text import analyze
from bot.knowledge.vectors import StaticEncoder, basic_words, default_encoder

KB = Path(__file__).resolve().parents[2] / "kb"


@pytest.fixture(scope="module")
def starter() -> KnowledgeIndex:
    return KnowledgeIndex(load_markdown_dir(KB))


@pytest.fixture(scope="module")
def encoder() -> StaticEncoder:
    return default_encoder()


def words_of(article: Article) -> set[str]:
    text = " ".join((article.title, *article.keywords, article.body))
    return set(analyze(text, keep_stopwords=True))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("my machine is sluggish", "slow-laptop"),
        ("someone took my notebook computer at the airport", "lost-stolen-device"),
        ("a stranger emailed pretending to be our boss", "phishing-report"),
        ("the tunnel to headquarters keeps falling over", "vpn-disconnects"),
        ("storage almost exhausted", "disk-full"),
    ],
)
def test_a_paraphrase_finds_its_article_by_meaning(
    starter: KnowledgeIndex, question: str, expected: str
) -> None:
    article = starter.get(expected)
    assert article is not None
    shared = set(analyze(question)) & words_of(article)
    assert len(shared) <= 1, shared  # (almost) no word in common: words alone cannot find it
    ranked = starter.search(question, threshold=0)
    assert ranked and ranked[0].article.id == expected


def test_a_paraphrase_can_clear_the_threshold(starter: KnowledgeIndex) -> None:
    shown = starter.search("storage almost exhausted")
    assert shown and shown[0].article.id == "disk-full"


@pytest.mark.parametrize(
    "question",
    ["what is the capital of france", "book a table for two tonight", "play some jazz"],
)
def test_unrelated_questions_get_nothing(starter: KnowledgeIndex, question: str) -> None:
    assert starter.search(question) == []


def test_a_question_of_unknown_words_only_is_found_by_meaning() -> None:
    index = KnowledgeIndex(
        [
            Article("lang", "Change the display language", "Settings, Time and language."),
            Article("print", "Printer offline", "Clear the print queue."),
        ]
    )
    assert not set(analyze("parler francais deutsch sprechen")) & {"language", "display"}
    ranked = index.search("I want everything in German", threshold=0)
    assert ranked[0].article.id == "lang"


def test_tokenizer_splits_like_bert_uncased(encoder: StaticEncoder) -> None:
    assert basic_words("Can't connect to the Wi-Fi!!") == [
        *("can", "'", "t", "connect", "to", "the", "wi", "-", "fi", "!", "!")
    ]
    assert basic_words("Résumé\u0000 café\t日本") == ["resume", "cafe", "日", "本"]
    assert basic_words("   ") == []
    assert encoder.token_ids("x" * 101) == []  # an over-long "word" carries no meaning
    assert encoder.token_ids("word " * 1000)[:3] == encoder.token_ids("word word word")
    assert len(encoder.token_ids("word " * 1000)) == 256  # a pasted log is read from its start
    unbelievable = encoder.token_ids("unbelievableness")
    assert len(unbelievable) > 1  # split into known pieces rather than dropped


def test_vectors_are_unit_length_and_close_for_close_meanings(encoder: StaticEncoder) -> None:
    reset, forgot, printer = (
        encoder.encode(t)
        for t in ("reset my password", "I forgot my login credentials", "the printer is jammed")
    )
    assert abs(float(np.linalg.norm(reset)) - 1.0) < 1e-5
    assert float(reset @ forgot) > float(reset @ printer) + 0.1
    assert not encoder.encode("").any()
    assert not encoder.encode("\u0000\u0001").any()


def test_a_corrupt_vector_table_is_refused_with_its_path(tmp_path: Path) -> None:
    broken = tmp_path / "vectors.npz"
    np.savez(
        broken,
        tokens=np.array("a\nb"),
        vectors=np.zeros((3, 4), np.int8),
        scales=np.ones(3, np.float32),
    )
    with pytest.raises(ValueError, match="2 tokens but 3 vectors"):
        StaticEncoder.load(broken)


def tiny_encoder() -> StaticEncoder:
    """Three directions: "net*" words, "print*" words and "mail"; "##s" adds nothing."""
    tokens = ["[UNK]", "net", "network", "print", "printer", "mail", "##s"]
    vectors = np.array(
        [[0, 0, 0], [1, 0, 0], [1, 0.1, 0], [0, 1, 0], [0, 1, 0.1], [0, 0, 1], [0, 0, 0]],
        dtype=np.float32,
    )
    return StaticEncoder(tokens, vectors)


def test_table_grows_removes_and_reuses_slots() -> None:
    encoder = tiny_encoder()
    table = SemanticTable(encoder)
    for doc in range(40):  # past the first allocation
        table.add(doc, ["print " * (doc + 1) + "net"])  # the later, the more "print"
    assert len(table) == 40
    printer = encoder.encode("printers")
    best = table.nearest(printer, 3)
    assert [doc for doc, _ in best] == [39, 38, 37]
    assert best[0][1] >= best[1][1] >= best[2][1]

    table.remove(39)
    table.remove(39)  # twice is harmless
    assert [doc for doc, _ in table.nearest(printer, 1)] == [38]
    table.add(100, ["mail", "mails network"], body="mail mail")  # takes the free slot
    mail = encoder.encode("mail")
    assert table.nearest(mail, 1)[0][0] == 100
    assert table.centroid_similarity(100, mail) > 0.9
    assert len(table.nearest(printer, 500)) == 40
    sims = table.phrase_similarities([100, 0, 12345], mail)
    assert sims[100] == pytest.approx(1.0)  # its closest phrasing, "mail"
    assert sims[0] == pytest.approx(0.0, abs=1e-6)  # "print ... net" is orthogonal to mail
    assert sims[12345] == 0.0  # unknown document


def test_an_article_without_known_words_is_never_near() -> None:
    encoder = tiny_encoder()
    table = SemanticTable(encoder)
    table.add(1, ["zzz", "qqq"], body="???")
    table.add(2, ["network"])
    net = encoder.encode("net")
    assert [doc for doc, _ in table.nearest(net, 2)] == [2, 1]  # 1 has a zero centroid
    assert table.phrase_similarities([1], net) == {1: 0.0}
    assert table.centroid_similarity(1, net) == 0.0
