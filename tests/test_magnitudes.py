"""Magnitudes of the present event (TAXONOMY section 3), on sentences written for the tests."""

from __future__ import annotations

from nlp.signals import extract_signals


def mags(text: str) -> dict:
    return extract_signals(text)["magnitudes"]


def test_accident_dead_and_injured_are_counted_without_a_conflict_topic():
    # a road accident has no topic, but its dead and injured are the event's figures
    text = (
        "Minibus masuk jurang di Kabupaten Contoh\n"
        "Sebuah minibus terperosok ke jurang di jalan lintas kabupaten pada Senin malam. "
        "Tiga penumpang tewas di lokasi dan delapan orang lainnya luka-luka."
    )
    res = extract_signals(text)
    assert res["topics"] == []
    assert res["magnitudes"]["killed"] == 3
    assert res["magnitudes"]["injured"] == 8


def test_drug_raid_arrests_are_counted_without_a_topic():
    text = (
        "Polisi bekuk pengedar sabu\n"
        "Satuan reserse narkoba menangkap lima orang pria di sebuah rumah kos pada Rabu dini "
        "hari dan menyita beberapa paket sabu."
    )
    assert mags(text)["arrested"] == 5


def test_vague_quantity_stays_null_without_a_topic():
    text = (
        "Banjir rendam permukiman\n"
        "Puluhan warga terluka saat mengungsi dari rumah yang terendam banjir setinggi dada."
    )
    assert mags(text)["injured"] is None


def test_headline_verbs_without_prefix_lead_a_count():
    # headlines drop the me- prefix ("Tewaskan", "Tangkap"); the count follows the bare verb
    assert (
        mags("Truk Tabrakan di Tanjakan Tewaskan 4 Penumpang\nKecelakaan terjadi Senin.")["killed"]
        == 4
    )
    assert (
        mags("Polres Contoh Tangkap 6 Pengedar Sabu\nPenangkapan dilakukan Rabu.")["arrested"] == 6
    )


def test_securing_places_is_no_arrest():
    # "amankan" also means to secure a venue: a count of places is no arrest
    text = "Polda Contoh Amankan 1.200 Tempat Pemungutan Suara\nPersonel disebar ke desa-desa."
    assert mags(text)["arrested"] is None


# --- recall of the phrasings real reports use (issue 13); sentences written for the tests


def test_subject_noun_phrase_reaches_its_predicate_across_appositions():
    text = (
        "Warga dikeroyok di pasar\n"
        "Seorang warga asal Kecamatan Contoh, Kabupaten Lain, tewas usai dikeroyok di pasar "
        "pada Senin malam."
    )
    assert mags(text)["killed"] == 1


def test_relative_clause_inside_the_subject_is_crossed():
    text = (
        "Polres bekuk pengedar\n"
        "Pada malam itu, empat pemuda yang diduga sebagai kurir ganja ditangkap di dua "
        "tempat."
    )
    assert mags(text)["arrested"] == 4


def test_an_active_verb_ends_the_counted_phrase():
    # the witness is counted by no cue: the dead person is "korban", not "seorang saksi"
    text = "Penikaman di terminal\nSeorang saksi di lokasi mengatakan korban ditikam."
    assert mags(text)["killed"] is None
    # "yang menganiaya korban hingga tewas": the victim died, not the two counted attackers
    text = (
        "Dua pelaku penganiayaan ditangkap\n"
        "Dua pelaku utama yang menganiaya siswa itu hingga tewas kini ditahan polisi."
    )
    res = mags(text)
    assert res["killed"] != 2
    assert res["arrested"] == 2


def test_linking_verbs_keep_the_count():
    text = "Bentrokan antarwarga\nDalam bentrok itu, lima orang mengalami luka tembak."
    assert mags(text)["injured"] == 5


def test_named_suspects_count_one_each():
    text = (
        "Polisi tangkap pelaku pembacokan\n"
        "Polisi menangkap tersangka berinisial AR (25) dan BS (30) di rumahnya pada Selasa."
    )
    assert mags(text)["arrested"] == 2
    text = "Pembacokan di kampung\nPelaku AR akhirnya diamankan polisi di rumah kerabatnya."
    assert mags(text)["arrested"] == 1
    # capitalised words with no person noun or age before them are no names
    text = "Pengamanan hari raya\nPolisi mengamankan Natal dan Tahun Baru di kota itu."
    assert mags(text)["arrested"] is None
    # "anggota <Organisation>" names a group, not a person
    text = "Bentrok perguruan silat\nPolisi menangkap anggota Perguruan Silat Contoh di desa."
    assert mags(text)["arrested"] is None


def test_bare_singular_suspect_is_one_but_a_group_is_not():
    assert mags("Penganiayaan di desa\nPelaku sudah kami amankan di polsek.")["arrested"] == 1
    assert mags("Pencurian di pasar\nPara pelaku sudah diamankan polisi.")["arrested"] is None
    assert mags("Pencurian di pasar\nPelaku belum ditangkap polisi.")["arrested"] is None
    # a stated figure wins over the bare noun
    text = "Tawuran pelajar\nTiga pelaku ditangkap. Pelaku lain ditahan di polsek."
    assert mags(text)["arrested"] == 3


def test_object_lists_of_a_lead_cue_are_summed_but_partitives_are_not():
    text = (
        "Razia di kampung\n"
        "Selama keributan itu aparat mengamankan 41 orang dewasa dan 7 orang remaja."
    )
    res = mags(text)
    assert res["arrested"] == 48
    assert res["crowd"] is None  # numbers the arrest counts are no crowd
    text = "Razia narkoba\nPetugas menangkap tiga orang pemuda dan satu di antaranya pelajar."
    assert mags(text)["arrested"] == 3


def test_totals_after_the_event_and_agents_before_the_count():
    text = (
        "Kerusuhan di kota\n"
        "Massa membakar kantor camat pada Senin. Polisi berjaga di lokasi. "
        "Hingga Selasa, total korban tewas dalam kerusuhan itu tercatat 9 orang. "
        "Dalam kerusuhan itu, yang diamankan polisi sebanyak 12 orang."
    )
    res = mags(text)
    assert res["killed"] == 9
    assert res["arrested"] == 12


def test_number_words_with_hundreds_and_lives():
    text = "Demo di kantor bupati\nSeratus dua puluh orang massa aksi mendatangi kantor bupati."
    assert mags(text)["crowd"] == 120
    assert mags("Bentrokan dua desa\nBentrokan itu merenggut dua nyawa.")["killed"] == 2


def test_wounds_are_not_people():
    text = "Penikaman di jalan\nKorban menderita tiga luka tusukan di punggung usai dikeroyok."
    assert mags(text)["injured"] is None


def test_weapon_hits_and_a_named_person_joined_to_a_group():
    text = "Bentrok antardesa\nTiga pemuda disebut terkena busur panah saat bentrokan itu."
    assert mags(text)["injured"] == 3
    text = "Bus terguling\nEnam penumpang dan Budi luka ringan hingga parah."
    assert mags(text)["injured"] == 7


def test_clash_crowds_and_displaced_people():
    text = "Tawuran pelajar\nTawuran yang melibatkan sekitar 30 pelajar itu terjadi Kamis sore."
    assert mags(text)["crowd"] == 30
    text = "Aksi buruh\nAksi unjuk rasa itu diikuti oleh kurang lebih 1.500 buruh."
    assert mags(text)["crowd"] == 1500
    # displaced people are no crowd, even in a riot story
    text = "Kerusuhan di kampung\nSaat kerusuhan, sekitar 500 orang mengungsi ke kantor desa."
    assert mags(text)["crowd"] is None


def test_a_denied_claim_is_no_count_but_figures_before_the_denial_are():
    text = (
        "Polda bantah penembakan\n"
        "Juru bicara polda membantah kabar adanya penembakan yang menewaskan seorang petugas."
    )
    assert mags(text)["killed"] is None
    text = "Bentrok di kampung\nDua warga tewas, namun polisi membantah ada penembakan."
    assert mags(text)["killed"] == 2


def test_collective_number_words():
    assert mags("Tujuh pemuda ditangkap\nKetujuhnya kini ditahan di polsek.")["arrested"] == 7


def test_time_adverbials_do_not_cut_a_total():
    text = "Kerusuhan di kota\nMassa membakar pasar. Jumlah korban tewas hingga Senin mencapai 12 orang."
    assert mags(text)["killed"] == 12
    text = "Tawuran antarkampung\nTawuran pecah. Dua orang hingga kini masih ditahan di polsek."
    assert mags(text)["arrested"] == 2


def test_soft_death_words_count_the_killed_of_an_accident_but_raise_no_level():
    # "meninggal dunia" without violence nearby is no conflict death (no level), yet it is
    # the present event's dead (TAXONOMY section 3)
    text = (
        "Truk tergelincir di tanjakan Desa Contoh\n"
        "Sebuah truk bermuatan pasir tergelincir dan menabrak sepeda motor di tanjakan desa "
        "pada Kamis sore. Dua orang meninggal dunia di lokasi kejadian."
    )
    res = extract_signals(text)
    assert res["magnitudes"]["killed"] == 2
    assert res["topics"] == []
    assert res["escalation"]["level"] == 0


def test_soft_death_word_keeps_the_level_of_a_protest_below_lethal():
    # a protest article (level 2) that also reports an unrelated accident death: the death
    # is counted but does not raise the protest to level 4
    text = (
        "Warga berunjuk rasa menolak tambang\n"
        "Ratusan warga menggelar unjuk rasa di depan kantor bupati menolak izin tambang pasir. "
        "Di jalan menuju lokasi aksi, sebuah mobil terbalik dan seorang pengemudi meninggal "
        "dunia."
    )
    res = extract_signals(text)
    assert res["escalation"]["level"] == 2
    assert res["magnitudes"]["killed"] == 1


def test_deceased_voters_on_a_register_are_no_killed():
    text = (
        "Panitia temukan data pemilih ganda\n"
        "Panitia pengawas menemukan 450 pemilih dalam DPT yang sudah meninggal dunia namun "
        "masih tercatat."
    )
    res = extract_signals(text)
    assert res["magnitudes"]["killed"] is None
    assert res["escalation"]["level"] <= 1


def test_patients_who_died_of_a_disease_are_no_killed():
    text = (
        "Kasus demam berdarah naik di Kota Contoh\n"
        "Dinas kesehatan mencatat kenaikan kasus sepanjang bulan ini. Tiga pasien meninggal "
        "dunia setelah dirawat."
    )
    assert mags(text)["killed"] is None


def test_place_name_with_a_verb_prefix_does_not_end_the_subject():
    # "Bersatu" in a place name looks like a ber- verb to the stemmer; inside a body
    # sentence a capitalised word is a name, so the count still reaches "tewas"
    text = (
        "Pohon tumbang timpa warga\n"
        "Seorang nelayan asal Pulau Panjang Kecamatan Bersatu Jaya, Kabupaten Contoh, tewas "
        "tertimpa pohon tumbang pada Minggu pagi."
    )
    assert mags(text)["killed"] == 1


def test_verb_after_a_count_still_ends_the_subject():
    # the lower-case verb "mengatakan" ends the noun phrase: the witness is not the dead
    text = (
        "Kebakaran pasar\n"
        "Seorang saksi dari Pasar Lama Kecamatan Contoh mengatakan korban tewas terjebak api."
    )
    phrase = extract_signals(text)["magnitude_evidence"]["killed"]["phrase"]
    assert phrase == "korban tewas"


def test_bare_victim_after_an_opening_phrase_and_comma_is_one():
    # the comma ends the opening phrase; it does not join "korban" to a list of people
    text = (
        "Pemuda ditusuk di pesta desa\n"
        "Seorang pemuda menusuk tetangganya saat pesta desa. Akibat tusukan itu, korban "
        "tewas di tempat. Setelah kejadian itu, pelaku diamankan di kantor polisi."
    )
    res = mags(text)
    assert res["killed"] == 1
    assert res["arrested"] == 1


def test_bare_victim_before_hingga_tewas_is_one():
    # "menganiaya korban hingga tewas": the attacked victim is the one who died
    text = (
        "Cekcok di warung berujung maut\n"
        "Dalam cekcok di sebuah warung, seorang pria memukul korban hingga tewas dengan "
        "sebatang kayu."
    )
    assert mags(text)["killed"] == 1
