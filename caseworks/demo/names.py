"""Word pools for the demo data: Chinese place and personal names, addresses, phone numbers and
the sentences that describe a case. Everything draws from the ``random.Random`` passed in, so a
fixed seed gives the same data on every run."""

# Surnames, the common ones listed several times so that they come up as often as in life.
SURNAMES = (
    "王王王王李李李李张张张张刘刘刘陈陈陈杨杨杨黄黄赵赵吴吴周周徐孙马朱胡郭何高林罗郑梁谢宋唐"
    "许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹"
    "孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万严覃武戴莫孔向汤杨吴罗龙石"
)
BOY_CHARS = "浩宇轩子博文杰俊明天睿泽航铭鑫磊鹏宏志伟强晨阳豪然毅嘉瑞凯诚乐思家兴永福建军涛林峰海波勇亮"
GIRL_CHARS = "欣怡梦雨婷琪涵佳雅静诗悦萱晴玉娜慧丽媛妍露瑶彤月思可馨蕾芳雪艳紫若美丹桂兰秀敏霞燕"
ADULT_MALE_CHARS = "国建军明华强平志勇德文光红金海永林成祥荣贵富忠福全兵云昌才发庆学"
ADULT_FEMALE_CHARS = "秀英芳丽梅兰凤霞玉珍桂琴燕娟红艳春花云菊莲萍翠敏"

PLACE_FIRST = "安长平清福兴永金龙石云凤青桐江大新东西南白黎瓮湄德榕丹麻锦思岑天松印沿罗望独惠紫盘赤仁息织纳威普晴关开乌"
PLACE_SECOND = "顺宁泉阳源山平安屏水川溪丰河城定都坪岭塘台化华峰州南兴庆江"
TOWN_FIRST = "新大小上下高长石龙凤金银红青白黄岩田坝松桃杨柳马牛羊水花竹茶枫桂梨沙坡山河溪塘"
TOWN_SECOND = "场坪寨坝塘沟湾冲岩山河井桥田林园庄堡营关口头脚坡坳洞湖岭江"
VILLAGE_FIRST = "新大小上下高长石龙凤金银红青白黄岩田坝松桃杨柳马牛水花竹茶枫桂梨沙泥坡河溪团光联和建胜永"
VILLAGE_SECOND = "坪寨坝塘沟湾冲岩山河井桥田林园庄堡营场关口头脚坡坳洞岭江星明合平结丰"
ROAD_NAMES = ("人民路", "解放路", "新华路", "建设路", "中山路", "文化路", "民族路", "团结路", "兴隆街", "和平街")

#: Guizhou's prefectures with their real code prefixes, for a province of many counties
CITIES = (
    ("贵阳市", "5201"), ("六盘水市", "5202"), ("遵义市", "5203"), ("安顺市", "5204"), ("毕节市", "5205"),
    ("铜仁市", "5206"), ("黔西南布依族苗族自治州", "5223"), ("黔东南苗族侗族自治州", "5226"),
    ("黔南布依族苗族自治州", "5227"),
)
PROVINCE = ("贵州省", "52")

GRADES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185", "186", "187",
                   "188", "189", "191", "198", "199")


def unique_name(rng, first, second, suffix, taken, *, tries=200):
    """A two-character place name plus ``suffix`` that is not yet in ``taken``."""
    for _ in range(tries):
        name = rng.choice(first) + rng.choice(second)
        if name[0] != name[1] and name not in taken:
            taken.add(name)
            return name + suffix
    # a crowded pool: fall back to three characters
    while True:
        name = rng.choice(first) + rng.choice(second) + rng.choice(second)
        if name not in taken:
            taken.add(name)
            return name + suffix


def child_name(rng, gender, surname=None):
    surname = surname or rng.choice(SURNAMES)
    chars = BOY_CHARS if gender == "male" else GIRL_CHARS
    if rng.random() < 0.22:
        return surname + rng.choice(chars)
    first = rng.choice(chars)
    second = rng.choice(chars)
    while second == first:
        second = rng.choice(chars)
    return surname + first + second


def adult_name(rng, gender, surname=None):
    surname = surname or rng.choice(SURNAMES)
    chars = ADULT_MALE_CHARS if gender == "male" else ADULT_FEMALE_CHARS
    if rng.random() < 0.35:
        return surname + rng.choice(chars)
    return surname + rng.choice(chars) + rng.choice(chars)


def mobile(rng):
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def address(rng, village_name):
    if village_name.endswith("社区"):
        return f"{village_name}{rng.choice(ROAD_NAMES)}{rng.randint(1, 180)}号"
    return f"{village_name}{rng.randint(1, 9)}组{rng.randint(1, 60):02d}号"


# --- what a case says -------------------------------------------------------------------------

REASON_PHRASES = {
    "study_aversion": "孩子厌学情绪严重，多次表示不想读书",
    "learning_difficulty": "孩子学习基础薄弱，跟不上教学进度",
    "poverty": "家庭经济困难，负担不起上学的生活费用",
    "working_away": "孩子想随亲戚外出打工挣钱",
    "early_marriage": "家中有早婚早育的打算",
    "illness": "孩子身体不好，长期在家休养",
    "family_change": "家庭发生变故，父母离异后无人管教",
    "study_useless": "家长认为读书没用，不如早点学门手艺",
    "religion": "受宗教活动影响，家长不让孩子上学",
    "other": "家长说法前后不一，原因尚需进一步了解",
}

REASON_MEASURES = {
    "study_aversion": ("班主任每周谈心一次，安排学生干部结对帮扶", "班主任"),
    "learning_difficulty": ("安排学科教师每周两次课后辅导，必要时单独编班", "教务处"),
    "poverty": ("落实两免一补和生活补助，协调乡镇纳入防返贫监测帮扶", "学校资助专干"),
    "working_away": ("联合派出所、人社所核查务工地点，督促用工单位清退", "乡镇控辍专干"),
    "early_marriage": ("联合民政、妇联上门宣讲《民法典》《未成年人保护法》", "乡镇控辍专干"),
    "illness": ("协调卫生院复查身体，评估是否需要送教上门", "学校控辍专干"),
    "family_change": ("心理老师每周辅导一次，联系村委会落实临时监护", "心理健康教师"),
    "study_useless": ("组织家长会和职业教育宣讲，讲清普职融合出路", "班主任"),
    "religion": ("联合统战、民宗部门依法宣讲义务教育法", "乡镇分管领导"),
    "other": ("包保教师和包村干部每周联系一次，掌握最新情况", "包保教师"),
}

STAGE_NOTES = {
    "verification": "学校发现连续缺课，正在核实是否辍学。",
    "support": "目前仍在校，但出勤不稳定，已纳入重点关注。",
    "school_persuasion": "班主任已电话联系家长，准备入户劝返。",
    "township_persuasion": "学校多次劝返未果，已报乡镇联合劝返。",
    "administrative": "经乡镇劝返仍未返校，已下达督促复学通知书。",
    "judicial": "通知书期限届满仍未返校，已启动司法督促程序。",
    "returned": "学生已返校复学，正在监测期内每周核查出勤。",
    "pending_review": "监测期已满，出勤正常，等待县级审核销号。",
    "closed": "经县级审核，该案已销号。",
}


def situation(rng, kind, stage, reasons, dropout_date):
    phrase = REASON_PHRASES[reasons[0]]
    if kind == "never_enrolled":
        opening = "该适龄儿童至今未办理入学，"
    elif kind == "at_risk":
        opening = f"该生近期多次缺课（本学期累计{rng.randint(5, 20)}天），"
    elif dropout_date is not None:
        opening = f"该生自{dropout_date.year}年{dropout_date.month}月起未到校上课，"
    else:
        opening = "该生近期未到校上课，"
    return f"{opening}经了解，{phrase}。{STAGE_NOTES[stage]}"


def plan_summary(rng, kind, reasons):
    goal = "按期入学" if kind == "never_enrolled" else "尽快返校并稳定就读"
    return f"一人一案：以{goal}为目标，包保教师和包村干部双线包保，针对“{REASON_PHRASES[reasons[0]]}”制定帮扶措施，每周联系家长一次。"
