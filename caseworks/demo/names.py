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
    ("贵阳市", "5201"),
    ("六盘水市", "5202"),
    ("遵义市", "5203"),
    ("安顺市", "5204"),
    ("毕节市", "5205"),
    ("铜仁市", "5206"),
    ("黔西南布依族苗族自治州", "5223"),
    ("黔东南苗族侗族自治州", "5226"),
    ("黔南布依族苗族自治州", "5227"),
)
PROVINCE = ("贵州省", "52")

GRADES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级")
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "166",
    "173",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)


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
    reason = REASON_PHRASES[reasons[0]]
    return f"一人一案：以{goal}为目标，包保教师和包村干部双线包保，针对“{reason}”制定帮扶措施，每周联系家长一次。"


# --- what a visit says ------------------------------------------------------------------------

#: how a guardian is named in "met with" (关系 → 称呼); grandparents and relatives by gender
RELATION_WORDS = {
    "father": ("父亲",),
    "mother": ("母亲",),
    "grandparent": {"male": ("爷爷", "外公"), "female": ("奶奶", "外婆")},
    "relative": {"male": ("伯父", "叔叔", "舅舅"), "female": ("姑姑", "姨妈", "婶婶")},
}

FINDINGS = {
    "verification": {
        "in_school": (
            "经核实，该生已在外地学校就读，学籍未及时转出。",
            "该生已到校上课，前期缺课系请病假未及时补假条。",
        ),
        "agreed_to_return": (
            "孩子近两周未到校，家长称孩子在家帮忙干农活。",
            "孩子在家玩手机，家长管不住，同意下周送回学校。",
        ),
        "refused": ("孩子已连续多日未到校，本人明确表示不想读书。", "家长称孩子要跟亲戚去学手艺，不愿送回学校。"),
        "not_at_home": ("家中无人，邻居称孩子随父母去县城了。", "上门时家中无人，已留联系卡并电话联系家长。"),
        "moved_away": ("邻居反映全家已搬往外省，正在联系务工地学校核实。",),
    },
    "support": {
        "in_school": (
            "该生本周出勤正常，课堂表现有进步。",
            "与班主任核对考勤，本月缺课天数明显减少。",
            "孩子情绪比较稳定，已能按时完成作业。",
        ),
        "agreed_to_return": ("孩子前几天又请假在家，谈心后答应明天回校。",),
        "refused": ("孩子最近厌学情绪反复，说不想再上学了。",),
        "not_at_home": ("家中无人，已电话联系家长，约定周末再访。",),
        "moved_away": ("家长说准备带孩子去务工地，正在了解转学手续。",),
    },
    "ladder": {
        "agreed_to_return": (
            "宣讲义务教育法后，家长态度转变，同意送孩子回校。",
            "孩子担心跟不上，答应先回校试读，学校安排补课。",
            "做通了孩子爷爷奶奶的工作，家长答应按期送孩子返校。",
        ),
        "refused": (
            "家长仍坚持让孩子外出打工，拒绝送回学校。",
            "孩子本人抵触情绪强烈，躲在房间不愿交流。",
            "家长认为读书没用，对劝返工作不配合。",
            "家长口头答应，但迟迟没有行动，孩子仍未返校。",
        ),
        "not_at_home": ("上门时家中无人，邻居说孩子跟父亲去了县城。", "家中只有老人在，孩子外出未归，已留下联系方式。"),
        "moved_away": ("孩子已随父母到外省务工地，已联系当地教育部门协查。",),
        "in_school": ("孩子本周已回校上课，出勤正常。",),
    },
    "returned": {
        "in_school": (
            "本周出勤正常，无迟到早退。",
            "复学后适应较好，已跟上班级进度。",
            "任课教师反映孩子上课认真，情绪稳定。",
            "本周请假一天（有病假条），其余时间正常到校。",
        ),
        "not_at_home": ("周末上门时家中无人，已电话联系家长，孩子在校情况正常。",),
        "agreed_to_return": ("孩子本周缺课两天，谈心后答应按时到校。",),
        "refused": ("孩子出现厌学苗头，说又不想读了，需加强关注。",),
        "moved_away": ("家长称下学期可能转学，正在核实。",),
    },
}

NEXT_STEPS = {
    "verification": ("继续核实学籍和就读情况。", "三日内再次上门核实。", "如确认辍学，启动劝返程序。"),
    "support": (
        "继续每周谈心一次，关注出勤。",
        "落实课后辅导，每月家访一次。",
        "与家长保持电话联系，每周反馈在校情况。",
    ),
    "ladder": (
        "一周内再次上门，联合村委会做家长工作。",
        "约家长到校面谈，讲清法律责任。",
        "联系务工地核实情况，督促家长送返。",
        "安排包保教师每周上门，帮助补习功课。",
        "报请乡镇协调，联合开展劝返。",
    ),
    "returned": ("继续每周核查出勤。", "安排学习伙伴结对帮扶，巩固复学成果。", "班主任每周与家长电话沟通一次。"),
}

SUPPORT_DETAILS = {
    "financial_aid": ("落实两免一补和营养改善计划", "申请家庭经济困难学生生活补助", "协调乡镇纳入防返贫监测帮扶"),
    "tutoring": ("学科教师每周两次课后辅导", "安排学习伙伴结对帮扶", "周末集中补习，帮助跟上进度"),
    "counselling": ("心理健康教师每周谈心一次", "开展团体心理辅导", "联系县心理健康中心评估疏导"),
    "boarding_transport": ("安排住校并减免住宿费", "协调乡村学生上下学接送", "落实寄宿生生活补助"),
    "referral": (
        "转介民政部门落实困境儿童保障",
        "转介残联开展康复评估",
        "转介妇联开展家庭教育指导",
        "转介派出所、人社所核查务工情况",
    ),
}
REFERRAL_DEPARTMENTS = {
    "转介民政部门落实困境儿童保障": "县民政局",
    "转介残联开展康复评估": "县残联",
    "转介妇联开展家庭教育指导": "县妇联",
    "转介派出所、人社所核查务工情况": "乡镇派出所、人社所",
}

TRANSITION_REASONS = {
    "confirm_dropout": ("经入户核实，该生已连续多日未到校，确认辍学。", "家访确认孩子已不在校就读，确认辍学。"),
    "stopped_attending": ("帮扶期间该生再次连续缺课，已不到校上课。", "该生近两周未到校，家长称孩子不愿再读。"),
    "escalate_township": (
        "学校多次电话和入户劝返未果，报请乡镇（街道）联合劝返。",
        "家长态度消极，学校劝返无效，提请乡镇介入。",
    ),
    "escalate_administrative": (
        "乡镇联合劝返仍未返校，下达督促复学通知书。",
        "经多次联合劝返，监护人仍不送孩子返校，依法书面督促。",
    ),
    "escalate_judicial": ("通知书期限届满仍未返校，启动司法督促程序。", "监护人逾期未改正，提请司法机关依法督促。"),
    "record_return": ("学生已返校上课，学校已确认到校。", "孩子已回校复学，班主任确认出勤。"),
    "end_monitoring": ("监测期满，期间出勤正常，转县级审核。",),
    "request_closure": ("经核实情况属实，申请县级审核销号。",),
    "approve_closure": ("材料齐全，核查属实，同意销号。", "经审核，复学证明和监测记录完整，同意销号。"),
    "relapse": ("复学后再次连续多日未到校，恢复劝返。", "巩固观察期间该生又不来上课，家长称孩子不愿读书。"),
}
CLOSURE_REQUESTS = {
    "vocational_school": "已进入中职学校就读，接收学校已出具证明，申请销号。",
    "transferred_out": "已转入外县学校就读，接收地已确认，申请销号。",
    "health_deferral": "经医院诊断需休学治疗，已办理缓学手续，申请销号。",
    "aged_out": "已超过义务教育年龄，经核实申请销号。",
    "home_schooling": "已纳入送教上门，每月送教两次，申请销号。",
    "special_school": "已转入特殊教育学校就读，申请销号。",
    "moved_abroad": "已随父母出境居住，出入境记录已核实，申请销号。",
    "deceased": "该生因病去世，已取得死亡医学证明，申请销号。",
}
EVIDENCE = {
    "escalate_administrative": "{title} {document_no}，{served_date}已送达{served_to}",
    "escalate_judicial": "{title} {document_no}期限已于{deadline_date}届满；{step} {step_no}",
    "record_return": "班主任到校确认，考勤记录",
    "end_monitoring": "监测期出勤记录",
}


# --- the ladder's records (notices, legal steps, closure details) --------------------------------

#: short forms of the prefectures' names as courts and procuratorates use them in document numbers
CITY_SHORT = {
    "5201": "筑",
    "5202": "六盘水",
    "5203": "遵",
    "5204": "安",
    "5205": "毕",
    "5206": "铜",
    "5223": "黔西南",
    "5226": "黔东南",
    "5227": "黔南",
}
LEGAL_RESULTS = {
    "support_prosecution": (
        "检察院出具支持起诉意见书，支持乡镇人民政府依法起诉监护人。",
        "检察院审查后决定支持起诉，督促监护人履行送学义务。",
    ),
    "lawsuit": ("乡镇人民政府以监护人为被告提起诉讼，法院已立案。", "已向法院递交起诉状，法院受理。"),
    "mediation": ("经法院主持调解，监护人同意于十日内送孩子返校。", "巡回法庭到村开庭调解，双方达成调解协议。"),
    "judgment": ("判决监护人于判决生效之日起十日内送适龄子女入学接受义务教育。",),
    "reprimand": ("法院当庭对监护人进行训诫，监护人表示将送孩子返校。",),
    "guidance_order": ("法院向监护人发出家庭教育指导令，责令其接受家庭教育指导。",),
}
#: where children transferred out went
TRANSFER_DESTINATIONS = (
    "广东省东莞市长安镇第一小学",
    "浙江省宁波市鄞州区实验学校",
    "福建省晋江市第二中学",
    "广东省深圳市宝安区沙井中学",
    "浙江省义乌市稠城第三小学",
    "江苏省苏州市吴中区木渎实验中学",
    "贵阳市云岩区第十七中学",
    "遵义市汇川区第一小学",
    "云南省昆明市官渡区第二中学",
)
ABROAD_DESTINATIONS = ("缅甸（随父母务工）", "老挝（随父母务工）", "越南（随母亲回原籍）", "马来西亚（随父母务工）")
VOCATIONAL_SCHOOLS = ("{county}中等职业学校", "{city}交通技工学校", "{city}职业技术学校")
HOME_SCHEDULES = ("每周送教2次，每次3课时", "每周送教1次，每次4课时", "每月送教4次，每次2课时")
DEFERRAL_CERTIFICATES = ("{county}人民医院诊断证明书", "{city}第一人民医院疾病诊断书", "{county}中医医院诊断证明书")
CONFIRMER_TITLES = ("校长", "副校长", "教务主任", "政教主任")
