"""A SIB-200-shaped folder of parallel sentences written for these tests (real e5-small vectors)."""

from __future__ import annotations

PARALLEL = {
    "eng_Latn": [
        "The train leaves at eight in the morning.",
        "My sister works in a hospital.",
        "It rained all day yesterday.",
        "We bought bread and cheese at the market.",
        "The museum is closed on Mondays.",
        "He reads a newspaper every evening.",
        "The children are playing in the park.",
        "This soup is too salty.",
        "Please turn off the lights.",
        "The river flooded the village last spring.",
    ],
    "deu_Latn": [
        "Der Zug fährt um acht Uhr morgens ab.",
        "Meine Schwester arbeitet in einem Krankenhaus.",
        "Gestern hat es den ganzen Tag geregnet.",
        "Wir haben auf dem Markt Brot und Käse gekauft.",
        "Das Museum ist montags geschlossen.",
        "Er liest jeden Abend eine Zeitung.",
        "Die Kinder spielen im Park.",
        "Diese Suppe ist zu salzig.",
        "Bitte mach das Licht aus.",
        "Der Fluss hat das Dorf im letzten Frühling überschwemmt.",
    ],
    "fra_Latn": [
        "Le train part à huit heures du matin.",
        "Ma sœur travaille dans un hôpital.",
        "Il a plu toute la journée hier.",
        "Nous avons acheté du pain et du fromage au marché.",
        "Le musée est fermé le lundi.",
        "Il lit un journal tous les soirs.",
        "Les enfants jouent dans le parc.",
        "Cette soupe est trop salée.",
        "Éteins les lumières, s'il te plaît.",
        "La rivière a inondé le village le printemps dernier.",
    ],
    "zho_Hans": [
        "火车早上八点出发。",
        "我姐姐在医院工作。",
        "昨天下了一整天的雨。",
        "我们在市场上买了面包和奶酪。",
        "博物馆周一闭馆。",
        "他每天晚上看报纸。",
        "孩子们在公园里玩。",
        "这汤太咸了。",
        "请把灯关掉。",
        "去年春天河水淹没了村庄。",
    ],
    "rus_Cyrl": [
        "Поезд отправляется в восемь утра.",
        "Моя сестра работает в больнице.",
        "Вчера весь день шёл дождь.",
        "Мы купили хлеб и сыр на рынке.",
        "Музей закрыт по понедельникам.",
        "Он читает газету каждый вечер.",
        "Дети играют в парке.",
        "Этот суп слишком солёный.",
        "Пожалуйста, выключи свет.",
        "Прошлой весной река затопила деревню.",
    ],
}


def write_sib(root, langs=None, split="train"):
    for lang, sentences in PARALLEL.items():
        if langs and lang not in langs:
            continue
        folder = root / lang
        folder.mkdir(parents=True, exist_ok=True)
        rows = ["index_id\tcategory\ttext"] + [f"{i}\tnone\t{t}" for i, t in enumerate(sentences)]
        (folder / f"{split}.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root
